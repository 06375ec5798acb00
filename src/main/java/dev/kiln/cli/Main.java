package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.diag.Diagnostic;
import dev.kiln.diag.KilnException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code kiln} command line. Exit status: 0 ok, 1 a check failed, 2 bad input or usage, 3 internal error.
 */
@Command(name = "kiln", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Kiln: an ahead-of-time compiler from ONNX models and Kiln DSL to C99 and OpenCL.",
        footer = {"", "Examples:",
                "  kiln eval tests/models/digits_lenet5_op13/model.onnx \\",
                "      --inputs tests/data/digits_test_x.npy \\",
                "      --labels tests/data/digits_test_y.npy --backend c",
                "  kiln compile tests/models/ds_cnn_kws_op13/model.onnx -t cortex-m4f \\",
                "      -o out/kws --name kws",
                "  kiln check --backend c tests/models/digits_lenet5_op13",
                "  kiln inspect tests/models/resnet8_cifar10_op13/model.onnx -t cortex-m4f",
                "  kiln compile --help                    # each command's options and examples",
                "",
                "Options may come before or after the command (kiln --no-progress check DIR).",
                "Exit status: 0 ok, 1 a check failed, 2 bad input or usage, 3 internal error",
                "(a bug in Kiln)."},
        subcommands = {CompileCommand.class, CheckCommand.class, RunCommand.class, EvalCommand.class, InspectCommand.class, BenchCommand.class, DslCommand.class, OpsCommand.class, TargetsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int CHECK_FAILED = 1;
    public static final int BAD_INPUT = 2;
    public static final int INTERNAL = 3;

    @Option(names = "--debug", description = "Show stack traces of errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Whether the err writer is this process's stderr, so progress bars may be drawn when it is a terminal. */
    boolean terminalErr;

    /** A progress bar the caller forces (tests: a fake terminal), or null to decide from stderr. */
    dev.kiln.diag.Progress progressOverride;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a command (kiln --help lists them)");
    }

    /** Runs the command line and returns the exit status (for tests and the Maven plugin); draws no progress bars. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(out, err, (dev.kiln.diag.Progress) null, args);
    }

    /**
     * Runs the command line with {@code bar} as its progress bar (null: decide from the process's stderr, used by
     * {@link #main}), and returns the exit status.
     */
    public static int execute(PrintWriter out, PrintWriter err, dev.kiln.diag.Progress bar, String... args) {
        Main main = new Main();
        main.progressOverride = bar;
        return run(main, out, err, args);
    }

    private static int run(Main main, PrintWriter out, PrintWriter err, String... given) {
        CommandLine cl = new CommandLine(main);
        for (CommandLine c : cl.getSubcommands().values()) CliOptions.addBackendSettings(c.getCommandSpec());
        String[] args = commandFirst(cl, given);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            boolean dbg = false;
            for (String a : args) if (a.equals("--debug")) dbg = true;
            if (ex instanceof KilnException) {
                for (Diagnostic d : ((KilnException) ex).diagnostics()) err.println(d.render());
                if (dbg) ex.printStackTrace(err);
                err.flush();
                // why: a pass that breaks the graph (--verify-each) is Kiln's bug, not the user's input
                return ((KilnException) ex).code() == dev.kiln.diag.Code.INTERNAL ? INTERNAL : BAD_INPUT;
            }
            err.println("kiln: internal error: " + ex);
            err.println("  this is a bug in Kiln; please report it with the model and the command (--debug shows the stack trace)");
            if (dbg) ex.printStackTrace(err);
            err.flush();
            return INTERNAL;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("kiln: " + ex.getMessage());
            CommandLine c = ex.getCommandLine();
            err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
            err.flush();
            return BAD_INPUT;
        });
        int rc;
        try {
            rc = cl.execute(args);
        } catch (OutOfMemoryError e) {
            // why: a model that needs more heap than the JVM has is refused with advice, not a stack trace
            err.println("kiln: error: out of memory while working on this model (the JVM's heap is "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB)");
            err.println("  hint: give Java more heap (java -Xmx8g -jar kiln.jar ...), or lower --max-tensor-bytes / "
                    + "--max-constant-bytes / --max-nodes so such a model is refused early");
            rc = BAD_INPUT;
        } catch (StackOverflowError e) {
            err.println("kiln: error: the model is nested too deeply for Kiln's stack");
            err.println("  hint: run with a larger thread stack (java -Xss64m -jar kiln.jar ...); if the model is not meant to be "
                    + "this deep, it is malformed");
            rc = BAD_INPUT;
        }
        out.flush();
        err.flush();
        return rc;
    }

    /**
     * The arguments with the command's options that come before the command moved after it, so that
     * {@code kiln --no-progress check DIR} means {@code kiln check --no-progress DIR}: options before the command
     * are read with the arity they have in the command that follows. Kiln's own options ({@code --debug},
     * {@code --help}, {@code --version}) stay in front; arguments with no command after the options are unchanged.
     */
    static String[] commandFirst(CommandLine cl, String[] args) {
        java.util.Map<String, CommandLine> commands = cl.getSubcommands();
        CommandLine.Model.CommandSpec own = cl.getCommandSpec();
        int i = 0;
        // find the command: skip options, and an option's separate value where the arity of any command's option says so
        while (i < args.length && args[i].startsWith("-") && !args[i].equals("--")) {
            String name = args[i].contains("=") ? args[i].substring(0, args[i].indexOf('=')) : args[i];
            i++;
            if (own.findOption(name) != null || args[i - 1].contains("=")) continue;
            // why: a short option may carry its value attached (-O1, -tcortex-m4f)
            boolean attached = !name.startsWith("--") && name.length() > 2;
            CommandLine.Model.OptionSpec o = null;
            for (CommandLine c : commands.values())
                if ((o = c.getCommandSpec().findOption(attached ? name.substring(0, 2) : name)) != null) break;
            if (o == null) return args; // why: an unknown option is reported by picocli, as written
            if (!attached && o.arity().max() > 0 && i < args.length) i++;
        }
        if (i == 0 || i >= args.length || !commands.containsKey(args[i])) return args;
        java.util.List<String> front = new java.util.ArrayList<>(), moved = new java.util.ArrayList<>();
        for (int j = 0; j < i; j++) {
            String a = args[j], name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            boolean mine = a.startsWith("-") && own.findOption(name) != null;
            (mine ? front : moved).add(a);
        }
        java.util.List<String> r = new java.util.ArrayList<>(front);
        r.add(args[i]);
        r.addAll(moved);
        r.addAll(java.util.Arrays.asList(args).subList(i + 1, args.length));
        return r.toArray(new String[0]);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        Main m = new Main();
        m.terminalErr = true;
        System.exit(run(m, out, err, args));
    }

    /** Prints Kiln's version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() { return new String[] {"kiln " + Kiln.version()}; }
    }
}
