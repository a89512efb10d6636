/** The farm: many hierarchies, each one PCI segment, created and deleted while it runs. */
package io.pciefarm.farm;
