package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.grpc.Caller;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.grpc.TokenTable;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without a token table the farm is open, so it serves loopback only. */
class SingleTenantTest {
  @Test
  void withoutTokensANonLoopbackAddressIsRefusedAtStartup() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> PcieFarmServer.builder().bind("0.0.0.0").port(0).start());
    assertTrue(e.getMessage().startsWith("refusing to listen on 0.0.0.0 without authentication"),
        e.getMessage());
  }

  @Test
  void loopbackServesEveryoneAsTheLocalAdministrator() throws Exception {
    for (String host : new String[] {"127.0.0.1", "localhost"}) {
      try (PcieFarmServer s = PcieFarmServer.builder().bind(host).port(0).start();
          PcieFarmClient c = PcieFarmClient.connect("127.0.0.1:" + s.port())) {
        assertEquals("local", c.serverInfo().getCallerTenant());
        assertTrue(c.serverInfo().getCallerAdmin());
      }
    }
  }

  @Test
  void withTokensEveryAddressMayBeServed() throws Exception {
    try (PcieFarmServer s = PcieFarmServer.builder().bind("0.0.0.0").port(0)
        .tokens(TokenTable.of(Map.of("only-token-0123456789", new Caller("t", false)))).start();
        PcieFarmClient c = PcieFarmClient.builder(s.tcpTarget()).token("only-token-0123456789")
            .build()) {
      assertTrue(s.authenticates());
      assertEquals("t", c.serverInfo().getCallerTenant());
    }
  }
}
