/** Who may have which function: assignability now; owners and leases build on it. */
package io.pciefarm.ownership;
