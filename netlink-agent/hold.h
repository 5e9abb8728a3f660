// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line.h"

namespace podtap::agent {

/// `podtap-agent hold`: prints ready, idles until SIGTERM/SIGINT/SIGHUP, heartbeat lapse or deadline, prints
/// stopped and returns the exit code (0). Adds nothing, so it removes nothing.
int runHold(const AgentOptions &options);

} // namespace podtap::agent
