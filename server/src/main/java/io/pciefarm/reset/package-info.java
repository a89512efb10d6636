/** Reset methods: which ones a function supports, in Linux's order. */
package io.pciefarm.reset;
