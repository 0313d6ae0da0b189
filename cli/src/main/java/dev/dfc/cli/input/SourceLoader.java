package dev.dfc.cli.input;

import dev.dfc.cli.CliException;
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

/**
 * Reads .dfsql files named on the command line. Paths are kept exactly as the user
 * typed them, so diagnostics point where the user looks. Anything that stops a file
 * from being read (missing, a directory, not UTF-8) is a {@link CliException} with
 * exit code 2 and a one-line message.
 */
public final class SourceLoader {
    private SourceLoader() {}

    public static List<SourceFile> load(List<String> paths) {
        List<SourceFile> files = new ArrayList<>(paths.size());
        for (String p : paths) files.add(load(p));
        return files;
    }

    public static SourceFile load(String path) {
        Path file = Path.of(path);
        if (Files.isDirectory(file)) throw CliException.usage("cannot read " + path + ": is a directory");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw CliException.usage("cannot read " + path + ": no such file");
        } catch (AccessDeniedException e) {
            throw CliException.usage("cannot read " + path + ": permission denied");
        } catch (IOException e) {
            throw CliException.usage("cannot read " + path + ": " + e.getMessage(), e);
        }
        return new SourceFile(path, decode(path, bytes));
    }

    /** Strict UTF-8: a malformed byte is reported with its position instead of being silently replaced. */
    static String decode(String path, byte[] bytes) {
        int start = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
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
