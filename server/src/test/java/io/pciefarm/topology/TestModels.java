package io.pciefarm.topology;

import io.pciefarm.caps.AcsCapability;
import io.pciefarm.caps.PciExpressCapability;
import io.pciefarm.config.Bar;
import io.pciefarm.device.Catalog;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.device.FunctionModel;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.PortType;
import io.pciefarm.time.TimeBase;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Device models the catalog does not ship, for the isolation rules it has no device for: ports
 * implementing only some ACS controls, and multi-function endpoints whose functions implement
 * ACS. Topologies name them like catalog models ({@link #build}).
 */
final class TestModels {
  private static final int RR_CR = ExtendedCapabilities.ACS_RR | ExtendedCapabilities.ACS_CR;

  private static final Map<String, DeviceModel> MODELS = List.of(
      rootPort("root-port-acs-sv-rr", ExtendedCapabilities.ACS_SV | ExtendedCapabilities.ACS_RR),
      rootPort("root-port-acs-nothing", 0),
      DeviceModel.named("mf-endpoint-acs")
          .summary("two endpoint functions, each with ACS P2P Request and Completion Redirect")
          .function(0, endpoint(0x0001, RR_CR))
          .function(1, endpoint(0x0002, RR_CR))
          .build(),
      DeviceModel.named("mf-endpoint-acs-on-zero")
          .summary("three endpoint functions; only function 0 implements ACS")
          .function(0, endpoint(0x0011, RR_CR))
          .function(1, endpoint(0x0012, -1))
          .function(2, endpoint(0x0013, -1))
          .build())
      .stream().collect(Collectors.toMap(DeviceModel::name, m -> m));

  /** The test models first, then the catalog. */
  static final Function<String, Optional<DeviceModel>> LOOKUP =
      name -> Optional.ofNullable(MODELS.get(name)).or(() -> Catalog.find(name));

  private TestModels() {}

  /** A hierarchy from JSON that may name the models here. */
  static Hierarchy build(String json) {
    return HierarchyBuilder.build(Specs.spec(json), TimeBase.system(), LOOKUP);
  }

  private static DeviceModel rootPort(String name, int acsCapability) {
    return DeviceModel.named(name)
        .summary("root port whose ACS capability is 0x" + Integer.toHexString(acsCapability))
        .function(0, FunctionModel.bridge("Test root port " + name)
            .ids(0x1b36, 0x000c).classCode(0x060400)
            .express(PortType.ROOT_PORT)
            .capability(PciExpressCapability.builder(PortType.ROOT_PORT).build())
            .capability(AcsCapability.of(acsCapability)))
        .build();
  }

  /** An endpoint function; {@code acsCapability} -1 for none. */
  private static FunctionModel.Spec endpoint(int deviceId, int acsCapability) {
    FunctionModel.Spec f = FunctionModel.endpoint("Test endpoint function " + deviceId)
        .ids(0x1b36, deviceId).classCode(0x020000)
        .express(PortType.ENDPOINT)
        .bar(0, Bar.mem64(16 * 1024))
        .capability(PciExpressCapability.builder(PortType.ENDPOINT).flr(true).build());
    if (acsCapability >= 0) {
      f.capability(AcsCapability.of(acsCapability));
    }
    return f;
  }
}
