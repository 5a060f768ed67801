package org.lrpaudit.model;

/** A model file that cannot be used: corrupt, hostile, or using something the project does not support. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) { super(message); }
    public ModelFormatException(String message, Throwable cause) { super(message, cause); }
}
