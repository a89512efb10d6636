/**
 * Time for the emulation: a clock that schedules instead of sleeping, and time scales. Every
 * delay a device model declares (readiness after FLR, link training, command completion) is
 * scaled by the farm's and the hierarchy's time scale and then scheduled on a
 * {@link io.pciefarm.time.FarmClock}; no thread ever waits per pending operation.
 */
package io.pciefarm.time;
