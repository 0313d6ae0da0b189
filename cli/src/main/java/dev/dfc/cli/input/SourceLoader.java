package dev.dfc.cli.input;

import dev.dfc.cli.CliException;
import dev.dfc.compiler.Workers;
import dev.dfc.compiler.source.SourceFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads .dfsql files named on the command line. Paths are kept exactly as the user
 * typed them, so diagnostics point where the user looks. Anything that stops a file
 * from being read (missing, a directory) is a {@link CliException} with exit code 2
 * and a one-line message.
 *
 * <p>Bytes that are not UTF-8: {@code compile} and {@code deploy} refuse the file (exit 2),
 * since replacing them would silently change the SQL they produce; {@code check} reads them
 * as U+FFFD with a warning, so it still reports every other problem in the file.
 */
public final class SourceLoader {
    /** What to do with bytes that are not UTF-8. */
    public enum Malformed { REFUSE, REPLACE_AND_WARN }

    private SourceLoader() {}

    /** Reads the files strictly: malformed UTF-8 is an exit-2 error. */
    public static List<SourceFile> load(List<String> paths) {
        return load(paths, Malformed.REFUSE, warning -> { });
    }

    /**
     * Reads the files, several at a time when there are many; warnings and the first error come
     * in command-line order, as if they were read one after the other.
     */
    public static List<SourceFile> load(List<String> paths, Malformed malformed, Consumer<String> warnings) {
        Object[] loaded = Workers.map(paths.size(), 32, 0, i -> {
            List<String> fileWarnings = new ArrayList<>(1);
            return new Loaded(load(paths.get(i), malformed, fileWarnings::add), fileWarnings);
        });
        List<SourceFile> files = new ArrayList<>(paths.size());
        for (Object result : loaded) {
            if (result instanceof RuntimeException e) throw e;
            if (result instanceof Error e) throw e;
            Loaded file = (Loaded) result;
            file.warnings().forEach(warnings);
            files.add(file.file());
        }
        return files;
    }

    private record Loaded(SourceFile file, List<String> warnings) {}

    public static SourceFile load(String path, Malformed malformed, Consumer<String> warnings) {
        Path file = Path.of(path);
        byte[] bytes;
        try {
            // a directory fails to read; asking first would cost a system call per file
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            if (Files.isDirectory(file)) throw CliException.usage("cannot read " + path + ": is a directory");
            if (e instanceof NoSuchFileException) throw CliException.usage("cannot read " + path + ": no such file");
            if (e instanceof AccessDeniedException) throw CliException.usage("cannot read " + path + ": permission denied");
            throw CliException.usage("cannot read " + path + ": " + e.getMessage(), e);
        }
        try {
            return new SourceFile(path, decode(path, bytes));
        } catch (CliException e) {
            if (malformed == Malformed.REFUSE) throw e;
            warnings.accept(e.getMessage() + "; read malformed bytes as U+FFFD");
            return new SourceFile(path, decodeReplacing(bytes));
        }
    }

    private static String decodeReplacing(byte[] bytes) {
        int start = hasBom(bytes) ? 3 : 0;
        return new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8);
    }

    private static boolean hasBom(byte[] bytes) {
        return bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf;
    }

    /** Strict UTF-8: a malformed byte is reported with its position instead of being silently replaced. */
    static String decode(String path, byte[] bytes) {
        int start = hasBom(bytes) ? 3 : 0;
        // Fast path: valid UTF-8 decodes the same either way, and then has no U+FFFD unless the
        // file has one; the strict decoder below tells which.
        String text = new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') < 0) return text;
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, start, bytes.length - start);
        try {
            return decoder.decode(in).toString();
        } catch (MalformedInputException e) {
            throw CliException.usage(path + ": not valid UTF-8 " + where(bytes, in.position()));
        } catch (CharacterCodingException e) {
            throw CliException.usage(path + ": not valid UTF-8 " + where(bytes, in.position()));
        }
    }

    /** "at line L (byte offset N)": the decoder stops at the bad byte, so in.position() is its offset. */
    private static String where(byte[] bytes, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < bytes.length; i++) if (bytes[i] == '\n') line++;
        return "at line " + line + " (byte offset " + offset + ")";
    }
}
