package io.pciefarm.grpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The server's bearer tokens, each mapped to a tenant: what {@code pciefarm serve --tokens FILE}
 * reads. With a table the server authenticates every call (see {@link AuthInterceptor}); without
 * one it is single-tenant and open on loopback only.
 *
 * <h2>File format</h2>
 * UTF-8 text, one token per line, fields separated by blanks:
 *
 * <pre>
 * # TOKEN                             TENANT   [admin]
 * 6f1c0d6b8e0a4d2f9b7e5c3a1d0f8e6c   alice
 * 0b9e7c5a3f1d2e4c6a8b0d9f7e5c3a1b   ci-ops   admin
 * </pre>
 *
 * <ul>
 *   <li>TOKEN: 16 to 512 printable ASCII characters without blanks (generate one with
 *       {@code openssl rand -hex 32}); every token appears once.</li>
 *   <li>TENANT: 1 to 64 of {@code A-Z a-z 0-9 . _ -}. Several tokens may name one tenant (to
 *       rotate them); they are the same identity.</li>
 *   <li>{@code admin} (optional): the tenant may also act on the host's pool (write to functions
 *       no lease holds, delete any hierarchy).</li>
 *   <li>Blank lines and lines starting with {@code #} are ignored.</li>
 * </ul>
 *
 * A malformed file is refused whole, naming the file and line. Tokens are kept only as SHA-256
 * digests and compared in constant time.
 */
public final class TokenTable {
  private static final Logger LOG = Logger.getLogger(TokenTable.class.getName());
  private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]{16,512}");
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** One line: the token's digest and who it names. */
  private record Entry(byte[] digest, Caller caller) {}

  private final Entry[] entries;

  private TokenTable(List<Entry> entries) {
    this.entries = entries.toArray(Entry[]::new);
  }

  /** Builds a table in code, e.g. for tests: {@code token -> caller}. */
  public static TokenTable of(java.util.Map<String, Caller> tokens) {
    List<Entry> out = new ArrayList<>();
    for (var e : tokens.entrySet()) {
      checkToken(e.getKey(), "token for " + e.getValue().tenant());
      checkTenant(e.getValue().tenant(), "tenant");
      out.add(new Entry(digest(e.getKey()), e.getValue()));
    }
    return new TokenTable(out);
  }

  /**
   * Reads a token file (format above). Warns in the log when others may read it.
   *
   * @throws IOException when it cannot be read
   * @throws IllegalArgumentException naming the file and line of a malformed entry
   */
  public static TokenTable read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    TokenTable t = parse(lines, file.toString());
    warnIfReadableByOthers(file);
    return t;
  }

  /** Parses the lines of a token file; {@code source} names it in errors. */
  public static TokenTable parse(List<String> lines, String source) {
    List<Entry> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = source + ":" + (i + 1);
      String[] f = line.split("\\s+");
      if (f.length < 2 || f.length > 3) {
        throw new IllegalArgumentException(where + ": expected 'TOKEN TENANT [admin]', found "
            + f.length + " field" + (f.length == 1 ? "" : "s"));
      }
      checkToken(f[0], where + ": the token");
      checkTenant(f[1], where + ": tenant");
      if (f.length == 3 && !f[2].equals("admin")) {
        throw new IllegalArgumentException(where + ": the third field may only be 'admin', not '"
            + f[2] + "'");
      }
      if (!seen.add(f[0])) {
        throw new IllegalArgumentException(where + ": this token appears on an earlier line too");
      }
      out.add(new Entry(digest(f[0]), new Caller(f[1], f.length == 3)));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(source + ": no tokens (lines 'TOKEN TENANT [admin]')"
          + "; an empty table would lock everyone out");
    }
    return new TokenTable(out);
  }

  private static void checkToken(String token, String what) {
    if (!TOKEN.matcher(token).matches()) {
      // never echo the token itself
      throw new IllegalArgumentException(what + " must be 16 to 512 printable ASCII characters"
          + " without blanks (it has " + token.length() + "); e.g. openssl rand -hex 32");
    }
  }

  private static void checkTenant(String tenant, String what) {
    if (!TENANT.matcher(tenant).matches()) {
      throw new IllegalArgumentException(what + " " + Requests.quote(tenant)
          + " must be 1 to 64 of A-Z a-z 0-9 . _ -");
    }
  }

  /**
   * The caller {@code token} names, or null. Takes the same time whichever entry matches, or
   * none: every entry's digest is compared, in full.
   */
  public Caller lookup(String token) {
    byte[] d = digest(token);
    Caller found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(d, e.digest) & (found == null)) {
        found = e.caller;
      }
    }
    return found;
  }

  /** Number of tokens. */
  public int size() {
    return entries.length;
  }

  /** The distinct tenants, for a startup message. */
  public List<String> tenants() {
    return java.util.Arrays.stream(entries).map(e -> e.caller.tenant()).distinct().sorted()
        .toList();
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static void warnIfReadableByOthers(Path file) {
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
      if (p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.GROUP_READ)) {
        LOG.warning("token file " + file + " is readable by other users; chmod 600 it");
      }
    } catch (IOException | UnsupportedOperationException e) {
      // not a POSIX file system: nothing to check
    }
  }
}
