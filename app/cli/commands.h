// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QStringList>

#include <span>

namespace podtap::cli {

/// @brief One podtapctl subcommand: its name, a one-line summary, and its entry point.
struct Command
{
    const char *name;
    const char *summary;
    /// @p args excludes the program name and the subcommand itself. Returns the exit code.
    int (*run)(const QStringList &args);
};

/// Every subcommand, in the order `podtapctl --help` lists them.
std::span<const Command> commands();

} // namespace podtap::cli
