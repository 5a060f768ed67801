package org.lrpaudit.model;

import onnx.Onnx.AttributeProto;
import onnx.Onnx.NodeProto;

/** Reading a node's attributes, with ONNX's defaults. */
final class OnnxNodes {
    private OnnxNodes() {}

    static AttributeProto attr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a;
        return null;
    }

    static long intAttr(NodeProto n, String name, long dflt) {
        AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getI();
    }

    static float floatAttr(NodeProto n, String name, float dflt) {
        AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getF();
    }

    static String stringAttr(NodeProto n, String name, String dflt) {
        AttributeProto a = attr(n, name);
        return a == null ? dflt : a.getS().toStringUtf8();
    }

    /** The ints of an attribute, or null when the node does not have it. */
    static long[] intsOrNull(NodeProto n, String name) {
        AttributeProto a = attr(n, name);
        return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Math.toIntExact(v[i]);
        return out;
    }

    /** Whether input i is given (ONNX marks an omitted optional input by an empty name). */
    static boolean has(NodeProto n, int i) { return n.getInputCount() > i && !n.getInput(i).isEmpty(); }
}
