package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pciefarm.grpc.PcieFarmServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
  @TempDir
  Path dir;

  @Test
  void smoke() throws Exception {
    try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0)
        .unixSocket(dir.resolve("s")).start();
        PcieFarmClient c = PcieFarmClient.connect(server.tcpTarget());
        PcieFarmClient u = PcieFarmClient.connectUnix(server.unixSocket())) {
      System.out.println(server.transport() + " " + server.tcpTarget());
      System.out.println(c.hierarchies());
      System.out.println(c.topology("").getTree());
      assertEquals(5, u.hierarchies().size());
      System.out.printf("%08x%n", c.function("0000:00:00.0").readDword(0));
      try (ConfigStream s = u.openStream()) {
        Batch b = new Batch();
        b.read(Address.parse("0000:00:00.0"), 0, 4);
        b.read(Address.parse("0000:00:00.0"), 3, 4);
        BatchResult r = s.execute(b);
        System.out.println(Integer.toHexString(r.value(0)) + " " + r.errors());
      }
    }
  }
}
