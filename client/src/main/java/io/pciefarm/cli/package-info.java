/** The {@code pciefarm} command-line tool: one picocli command per subcommand. */
package io.pciefarm.cli;
