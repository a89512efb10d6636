package io.pciefarm.device;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The named device models topologies use. Every model is built once, when the class loads, and
 * shared by every instance in every hierarchy.
 */
public final class Catalog {
  private static final Map<String, DeviceModel> MODELS = index(
      PortModels.rootPort("root-port", 0xa338, false, false),
      PortModels.rootPort("root-port-acs", 0xa339, false, true),
      PortModels.rootPort("root-port-hotplug", 0xa33a, true, false),
      PortModels.rootPort("root-port-hotplug-acs", 0xa33b, true, true),
      PortModels.switchUpstreamPort(),
      PortModels.switchDownstreamPort("switch-downstream-port", false),
      PortModels.switchDownstreamPort("switch-downstream-port-hotplug", true),
      PortModels.pcieToPciBridge(),
      EndpointModels.nvmeSsd(),
      EndpointModels.nvmeSsdSlowFlr(),
      EndpointModels.sriovNic(),
      EndpointModels.gpu(),
      EndpointModels.busResetOnly(),
      EndpointModels.nicNeverReady(),
      EndpointModels.wifiNoBusReset(),
      EndpointModels.sataSubPageBar(),
      EndpointModels.rcIntegratedAccelerator(),
      EndpointModels.conventionalNic(),
      EndpointModels.conventionalAudio());

  private Catalog() {}

  /** Every model, in catalog order (ports first). */
  public static Collection<DeviceModel> all() {
    return MODELS.values();
  }

  public static Optional<DeviceModel> find(String name) {
    return Optional.ofNullable(MODELS.get(name));
  }

  /**
   * The model called {@code name}.
   *
   * @throws IllegalArgumentException naming the unknown model and listing the known ones
   */
  public static DeviceModel get(String name) {
    DeviceModel m = MODELS.get(name);
    if (m == null) {
      throw new IllegalArgumentException("unknown device model '" + name + "'; the catalog has: "
          + String.join(", ", MODELS.keySet()));
    }
    return m;
  }

  private static Map<String, DeviceModel> index(DeviceModel... models) {
    Map<String, DeviceModel> m = new LinkedHashMap<>();
    for (DeviceModel d : models) {
      if (m.putIfAbsent(d.name(), d) != null) {
        throw new IllegalStateException("two catalog models are named " + d.name());
      }
    }
    return Collections.unmodifiableMap(m);
  }
}
