// SPDX-License-Identifier: Apache-2.0
#include "stop_rules.h"

#include "agent_error.h"
#include "json_line.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>

namespace podtap::agent {

std::int64_t bootMs()
{
    timespec ts = {};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

UniqueFd stopSignalFd()
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    UniqueFd fd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd.valid()) {
        throw AgentError(ExitFailure, std::string("signalfd: ") + std::strerror(errno));
    }
    return fd;
}

std::string readStopSignal(int signalFd)
{
    signalfd_siginfo info = {};
    if (::read(signalFd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) {
        return {};
    }
    return ::strsignal(static_cast<int>(info.ssi_signo));
}

StopRules::StopRules(const AgentOptions &options)
    : m_heartbeatPath(options.heartbeatFile)
    , m_heartbeatTimeout(options.heartbeatTimeout)
    , m_deadline(options.deadline)
    , m_heartbeat(options.heartbeatFile)
    , m_startMs(bootMs())
    , m_lastBeat(options.heartbeatFile.empty() ? std::nullopt : m_heartbeat.read())
    , m_lastBeatChangeMs(m_startMs)
{
}

std::string StopRules::check()
{
    const std::int64_t now = bootMs();
    if (!m_heartbeatPath.empty()) {
        const std::optional<std::string> beat = m_heartbeat.read();
        if (beat && beat != m_lastBeat) {
            m_lastBeat = beat;
            m_lastBeatChangeMs = now;
        }
        const std::int64_t silentMs = now - m_lastBeatChangeMs;
        if (silentMs >= m_heartbeatTimeout * 1000LL) {
            note("heartbeat in " + m_heartbeatPath + " has not changed for " + std::to_string(silentMs / 1000) +
                " s (timeout " + std::to_string(m_heartbeatTimeout) + " s): the console is gone, stopping");
            return "heartbeat";
        }
    }
    if (m_deadline > 0 && now - m_startMs >= m_deadline * 1000LL) {
        return "deadline";
    }
    return {};
}

} // namespace podtap::agent
