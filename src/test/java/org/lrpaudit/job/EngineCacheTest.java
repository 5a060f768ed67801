package org.lrpaudit.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.lrpaudit.SparkTest;
import org.lrpaudit.TestImages;
import org.lrpaudit.cli.Requests;
import org.lrpaudit.cli.Settings;
import org.lrpaudit.lrp.LrpEngine;
import org.lrpaudit.ml.LrpExplainer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Engines are built once per plan and executor, and released: a session that explains with many models stays bounded. */
class EngineCacheTest extends SparkTest {
    /** Five different 28×28 gray classifiers. */
    static final List<String> MODELS = List.of("samples/fashion-mnist/model.onnx", "src/test/resources/fixtures/models/cnn.onnx",
            "src/test/resources/fixtures/models/cnn_bn.onnx", "src/test/resources/fixtures/models/cnn_stride.onnx",
            "src/test/resources/fixtures/models/mlp.onnx");

    @AfterEach
    void defaultCapacity() { EngineCache.reset(EngineCache.DEFAULT_CAPACITY); }

    static ExplainSetup setup(String model) {
        return Requests.explainSetup(Settings.parse(new String[] {"--model", model, "--mean", "0.286", "--std", "0.353"}));
    }

    static long heldBytes(String model) {
        ExplainSetup s = setup(model);
        LrpEngine engine = new LrpEngine(s.network(), s.composite(), s.preprocessing().bounds());
        long bytes = engine.heldBytes();
        engine.close();
        return bytes;
    }

    static Dataset<Row> images() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String cls : TestImages.classNames().subList(0, 3)) {
            try (var files = Files.list(TestImages.SAMPLE_IMAGES.resolve(cls))) {
                for (Path f : files.sorted().limit(2).toList()) rows.add(RowFactory.create(f.toString(), Files.readAllBytes(f)));
            }
        }
        return spark.createDataFrame(rows, new StructType().add("path", DataTypes.StringType).add("content", DataTypes.BinaryType));
    }

    /**
     * A notebook explaining the same images with five models, one transform each: the executor (here the driver, in
     * local mode) keeps the last two models' engines, not five.
     */
    @Test
    void explainingWithOneModelAfterAnotherKeepsAtMostTwoEngines() throws IOException {
        EngineCache.reset(2);
        Dataset<Row> images = images();
        for (String model : MODELS) {
            LrpExplainer lrp = new LrpExplainer().setModelPath(model).setMean(0.286).setStd(0.353).setInputCol("content");
            assertEquals(6, lrp.transform(images).filter("error is null").count(), model);
            assertTrue(EngineCache.liveEngines() <= 2, EngineCache.liveEngines() + " engines after " + model);
            System.out.printf("after %s: %d engines, %d native bytes held by cached engines%n", model, EngineCache.liveEngines(),
                    EngineCache.cachedBytes());
        }
        assertEquals(2, EngineCache.liveEngines());
        assertEquals(heldBytes(MODELS.get(3)) + heldBytes(MODELS.get(4)), EngineCache.cachedBytes());
    }

    @Test
    void anEngineInUseIsClosedOnlyWhenItsLastTaskHandsItBack() {
        EngineCache.reset(1);
        Broadcast<ExplainPlan> first = broadcast(setup(MODELS.get(1))), second = broadcast(setup(MODELS.get(2)));
        EngineCache.Lease running = EngineCache.acquire(first);
        EngineCache.Lease other = EngineCache.acquire(second); // evicts the first plan's engine, which a task still uses
        assertEquals(2, EngineCache.liveEngines());
        var batch = Nd4j.zeros(DataType.FLOAT, 2, 1, 28, 28);
        assertEquals(2, running.engine().explain(batch).targets().length, "still usable by its task");

        running.close();
        assertEquals(1, EngineCache.liveEngines());
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> running.engine().explain(batch));
        assertTrue(closed.getMessage().contains("was closed"), closed.getMessage());
        running.close(); // a second hand-back (task end after the partition's end) changes nothing
        assertEquals(1, EngineCache.liveEngines());

        other.close(); // idle but within the capacity: kept for the plan's next task
        try (EngineCache.Lease again = EngineCache.acquire(second)) {
            assertSame(other.engine(), again.engine());
            assertEquals(1, EngineCache.liveEngines());
        }
        EngineCache.release(second);
        assertEquals(0, EngineCache.liveEngines());
    }

    private static Broadcast<ExplainPlan> broadcast(ExplainPlan plan) {
        return spark.sparkContext().broadcast(plan, scala.reflect.ClassTag$.MODULE$.apply(ExplainPlan.class));
    }
}
