// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line.h"
#include "heartbeat_file.h"
#include "netlink_socket.h"

#include <cstdint>
#include <optional>
#include <string>

namespace podtap::agent {

/// Milliseconds on CLOCK_BOOTTIME: monotonic, never set, and it keeps counting while the node is suspended.
std::int64_t bootMs();

/// A non-blocking signalfd for SIGTERM, SIGINT and SIGHUP (main() blocks them before anything else).
UniqueFd stopSignalFd();
/// Reads one signal from @p signalFd; returns its name, or empty when none was pending.
std::string readStopSignal(int signalFd);

/// @brief The heartbeat and deadline rules of `mirror`, shared by `hold` and `stream`.
///
/// The heartbeat is a token, not a time: only a change of it counts, timed on CLOCK_BOOTTIME. The value
/// present at the start, and a missing or unreadable file, count from the agent's start, so a console
/// gets one timeout.
class StopRules final
{
public:
    explicit StopRules(const AgentOptions &options);

    /// "heartbeat" or "deadline" once that rule says stop, else empty. Call about once a second.
    std::string check();

private:
    std::string m_heartbeatPath;
    int m_heartbeatTimeout;
    int m_deadline;
    HeartbeatFile m_heartbeat;
    std::int64_t m_startMs;
    std::optional<std::string> m_lastBeat;
    std::int64_t m_lastBeatChangeMs;
};

} // namespace podtap::agent
