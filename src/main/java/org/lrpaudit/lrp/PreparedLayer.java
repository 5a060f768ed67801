package org.lrpaudit.lrp;

import java.util.ArrayList;
import java.util.List;
import org.lrpaudit.model.Activation;
import org.lrpaudit.model.Add;
import org.lrpaudit.model.AvgPool2d;
import org.lrpaudit.model.Clip;
import org.lrpaudit.model.Concat;
import org.lrpaudit.model.ConstantConcat;
import org.lrpaudit.model.Conv2d;
import org.lrpaudit.model.Dense;
import org.lrpaudit.model.Flatten;
import org.lrpaudit.model.Gate;
import org.lrpaudit.model.GlobalAvgPool;
import org.lrpaudit.model.Layer;
import org.lrpaudit.model.LayerNorm;
import org.lrpaudit.model.MatMul;
import org.lrpaudit.model.MaxPool2d;
import org.lrpaudit.model.Pad2d;
import org.lrpaudit.model.Relu;
import org.lrpaudit.model.Reshape;
import org.lrpaudit.model.Scale;
import org.lrpaudit.model.Shift;
import org.lrpaudit.model.Slice;
import org.lrpaudit.model.Softmax;
import org.lrpaudit.model.Tensor;
import org.lrpaudit.model.Transpose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A layer turned into ND4J arrays, with its LRP rule bound: the engine's unit of work. Immutable and shared by
 * threads; all per-call state lives in the arrays passed in. The layers without weights live in
 * {@link PointwiseLayers}, {@link ShapeLayers} and {@link PoolLayers}.
 */
abstract class PreparedLayer {

    /** Forward pass for a batch. */
    abstract INDArray forward(INDArray a);

    /** Relevance at the layer's input, given its input a, its output z and the relevance r at its output. */
    abstract INDArray relevance(INDArray a, INDArray z, INDArray r);

    /** Forward pass of a layer with any number of inputs (all but Add, Concat and Gate take one). */
    INDArray forward(INDArray[] in) { return forward(in[0]); }

    /** Relevance at each input; null for an input that receives none (a gate). */
    INDArray[] relevance(INDArray[] a, INDArray z, INDArray r) { return new INDArray[] {relevance(a[0], z, r)}; }

    /** Whether {@link #relevance} reads the output z; if not, a following ReLU may work in place on it. */
    boolean needsOutput() { return true; }

    /** The arrays kept for the engine's lifetime (weights, ρ-weights, constants), for the memory model. */
    List<INDArray> held() { return List.of(); }

    /** A ReLU that overwrites its input instead of copying it: saves one activation per layer. */
    static PreparedLayer inPlaceRelu() { return new PointwiseLayers.ReluLayer(false); }

    /** The engine's form of a layer: a visitor, so a layer type without an engine form does not compile. */
    static PreparedLayer of(Layer layer, List<long[]> inputShapes, Rule rule, MaxPoolMode poolMode, AttentionRule attention,
                              RulePropagator.BoxBounds bounds) {
        long[] in = inputShapes.get(0);
        return layer.accept(new Layer.Visitor<PreparedLayer>() {
            @Override public PreparedLayer visit(Conv2d c) {
                return new Linear(rule instanceof Rule.ZBox ? LinearOp.dense(c, in) : LinearOp.of(c, in), c.weight(), c.bias(), rule, bounds);
            }
            @Override public PreparedLayer visit(Dense d) { return new Linear(LinearOp.of(d), d.weight(), d.bias(), rule, bounds); }
            @Override public PreparedLayer visit(Relu r) { return new PointwiseLayers.ReluLayer(true); }
            @Override public PreparedLayer visit(Clip c) { return new PointwiseLayers.ClipLayer(c.low(), c.high()); }
            @Override public PreparedLayer visit(Activation a) { return new PointwiseLayers.ActivationLayer(a); }
            @Override public PreparedLayer visit(Gate g) { return new PointwiseLayers.GateLayer(g.signal()); }
            @Override public PreparedLayer visit(Scale s) { return new PointwiseLayers.ScaleLayer(s.factors(), in.length); }
            @Override public PreparedLayer visit(Shift s) { return new PointwiseLayers.ShiftLayer(s.values(), in.length); }
            @Override public PreparedLayer visit(Add a) { return new PointwiseLayers.Sum(); }
            @Override public PreparedLayer visit(LayerNorm n) { return new PointwiseLayers.LayerNormLayer(n); }
            @Override public PreparedLayer visit(MaxPool2d m) { return new PoolLayers.MaxPool(m.window(), poolMode); }
            @Override public PreparedLayer visit(AvgPool2d p) { return new PoolLayers.AvgPool(p.window(), p.countIncludePad(), in); }
            @Override public PreparedLayer visit(GlobalAvgPool g) { return new PoolLayers.GlobalAvg(); }
            @Override public PreparedLayer visit(Flatten f) { return new ShapeLayers.ReshapeLayer(in, f.outputShape(in)); }
            @Override public PreparedLayer visit(Reshape r) { return new ShapeLayers.ReshapeLayer(in, r.shape()); }
            @Override public PreparedLayer visit(Transpose t) { return new ShapeLayers.TransposeLayer(t.perm()); }
            @Override public PreparedLayer visit(Slice s) { return new ShapeLayers.SliceLayer(s.begin(), s.end(), s.step()); }
            @Override public PreparedLayer visit(Concat c) {
                return new ShapeLayers.ConcatLayer(c.axis(), inputShapes.stream().mapToLong(sh -> sh[c.axis()]).toArray());
            }
            @Override public PreparedLayer visit(Pad2d p) { return new ShapeLayers.PadLayer(p.pads()); }
            @Override public PreparedLayer visit(Softmax s) { return new AttentionLayers.SoftmaxLayer(s.axis(), attention); }
            @Override public PreparedLayer visit(MatMul m) { return new AttentionLayers.MatMulLayer(m.probabilities(), attention); }
            @Override public PreparedLayer visit(ConstantConcat c) {
                return new AttentionLayers.ConstantConcatLayer(c.axis(), c.before(), c.after(), in);
            }
        });
    }

    static INDArray array(Tensor t) {
        return Nd4j.create(t.data(), t.shape(), DataType.FLOAT);
    }

    /** Conv or dense with its rule. */
    private static final class Linear extends PreparedLayer {
        private final LinearOp op;
        private final INDArray w, b;
        private final RulePropagator rule;

        Linear(LinearOp op, Tensor weight, Tensor bias, Rule rule, RulePropagator.BoxBounds bounds) {
            this.op = op;
            INDArray modelLayout = array(weight);
            this.w = op.weights(modelLayout);
            this.b = array(bias);
            this.rule = RulePropagator.of(rule, op, modelLayout, b, bounds);
        }

        @Override INDArray forward(INDArray a) { return op.forward(a, w, b); }

        @Override INDArray relevance(INDArray a, INDArray z, INDArray r) { return rule.relevance(a, z, r); }

        @Override boolean needsOutput() { return rule.needsOutput(); }

        @Override List<INDArray> held() {
            List<INDArray> all = new ArrayList<>(List.of(w, b));
            all.addAll(rule.held());
            return all;
        }
    }
}
