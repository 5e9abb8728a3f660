// SPDX-License-Identifier: Apache-2.0
#include "hold.h"

#include "agent_error.h"
#include "agent_version.h"
#include "json_line.h"
#include "stop_rules.h"

#include <poll.h>

namespace podtap::agent {

int runHold(const AgentOptions &options)
{
    const UniqueFd signals = stopSignalFd();
    StopRules rules(options);
    emitEvent("ready",
        JsonLine()
            .add("command", "hold")
            .add("session", options.session)
            .add("heartbeat_file", options.heartbeatFile)
            .add("heartbeat_timeout", options.heartbeatTimeout)
            .add("deadline", options.deadline)
            .add("version", kAgentVersion)
            .add("contract", kAgentContract));
    std::string reason;
    while (reason.empty()) {
        pollfd pfd = {signals.get(), POLLIN, 0};
        if (::poll(&pfd, 1, 1000) > 0 && (pfd.revents & POLLIN)) {
            const std::string signal = readStopSignal(signals.get());
            if (!signal.empty()) {
                note("received " + signal + ", stopping");
                reason = "signal";
                break;
            }
        }
        reason = rules.check();
    }
    emitEvent("stopped", JsonLine().add("reason", reason).add("command", "hold"));
    return ExitOk;
}

} // namespace podtap::agent
