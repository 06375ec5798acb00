package dev.kiln.maven;

/**
 * One {@code <model>} of the compile goal: a model file or a folder of them ({@code <file>}), with an optional
 * symbol prefix and output folder name ({@code <name>}, for a single file). A bare {@code <model>PATH</model>}
 * sets the file only.
 */
public class ModelEntry {
    /** The model file (.onnx or .kiln) or a folder searched for them, relative to the project folder. */
    private String file;
    /** Name of the generated code (symbol prefix, file names, output folder); default: from the file name. */
    private String name;

    /** An empty entry, for Maven to configure. */
    public ModelEntry() {}

    /** An entry for {@code file} named {@code name} (null: the default name). */
    public ModelEntry(String file, String name) {
        this.file = file;
        this.name = name;
    }

    /** Sets the file from a bare {@code <model>PATH</model>}. */
    public void set(String file) { this.file = file; }

    /** Sets the model file or folder. */
    public void setFile(String file) { this.file = file; }

    /** Sets the name of the generated code. */
    public void setName(String name) { this.name = name; }

    /** The model file or folder as configured. */
    public String getFile() { return file; }

    /** The configured name, or null. */
    public String getName() { return name; }

    @Override
    public String toString() { return name == null ? String.valueOf(file) : file + " as " + name; }
}
