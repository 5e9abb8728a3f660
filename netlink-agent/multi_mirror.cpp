// SPDX-License-Identifier: Apache-2.0
#include "multi_mirror.h"

#include "agent_error.h"
#include "agent_version.h"
#include "heartbeat_file.h"
#include "json_line.h"
#include "stop_rules.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace podtap::agent {

namespace {

/// The `error` code of a target that could not be installed, from the exit code single-target mirror has.
const char *failureCode(int exitCode)
{
    switch (exitCode) {
    case ExitUsage:
        return "usage";
    case ExitTargetNotFound:
        return "target-not-found";
    case ExitKernelRefused:
        return "kernel-refused";
    default:
        return "internal";
    }
}

/// Each target holds a few descriptors (its netns, two netlink sockets, a link monitor): 256 of them need
/// more than the usual soft limit of 1024, and the hard limit is the node's to set.
void raiseFileLimit()
{
    rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/// inotify on the directory of @p path: kubelet's downward-API volume swaps a `..data` symlink, which is
/// seen only in the directory, never on the file. Invalid when inotify is not available (the tick still reads).
UniqueFd watchDirectoryOf(const std::string &path)
{
    UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd.valid()) {
        return {};
    }
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (::inotify_add_watch(fd.get(), dir.c_str(),
            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR) < 0) {
        return {};
    }
    return fd;
}

void drain(int fd)
{
    alignas(inotify_event) char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) { }
}

} // namespace

MultiMirror::MultiMirror(AgentOptions options)
    : m_options(std::move(options))
{
}

MultiMirror::~MultiMirror() = default;

std::optional<std::string> MultiMirror::readList(std::string *error) const
{
    std::ifstream in(m_options.targetsFile);
    if (!in) {
        *error = "read the targets file " + m_options.targetsFile + ": " + std::strerror(errno) +
            "; the agent keeps its current targets and reads it again every second";
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (m_options.targetsKey.empty()) {
        return text.str();
    }
    std::string why;
    const std::optional<std::string> value = HeartbeatFile::unquotedAnnotation(text.str(), m_options.targetsKey, &why);
    if (!value && !why.empty()) {
        *error = "read annotation " + m_options.targetsKey + " in " + m_options.targetsFile + ": " + why +
            "; the agent keeps its current targets until the value is fixed";
        return std::nullopt;
    }
    return value.value_or(std::string()); // a missing key is an empty list
}

bool MultiMirror::reload()
{
    std::string error;
    const std::optional<std::string> text = readList(&error);
    if (!text) {
        if (error != m_lastReadError) {
            m_lastReadError = error;
            note(error);
            emitEvent("warning", JsonLine().add("code", "targets-file").add("message", error));
        }
        if (!m_lastList) {
            // The first read failed: say the (empty) list is in force, so a console is not left waiting.
            m_lastList = std::string();
            emitTargets();
        }
        return false;
    }
    m_lastReadError.clear();
    if (m_lastList && *m_lastList == *text) {
        return false;
    }
    m_lastList = *text;
    apply(parseTargetList(*text, m_options));
    emitTargets();
    return true;
}

void MultiMirror::apply(const TargetList &list)
{
    for (const TargetLineError &bad : list.errors) {
        note(bad.message);
        emitEvent("error",
            JsonLine()
                .add("target", bad.target)
                .add("code", "bad-target")
                .add("line", bad.lineNumber)
                .add("message", bad.message + "; the line is skipped, the others apply"));
    }
    std::map<std::string, const TargetSpec *> wanted;
    for (const TargetSpec &spec : list.targets) {
        wanted[spec.tag] = &spec;
    }
    // First everything that goes, so a VNI or device name a removed target freed is free for a new one.
    for (auto it = m_targets.begin(); it != m_targets.end();) {
        const auto found = wanted.find(it->first);
        if (found == wanted.end()) {
            if (it->second.session) {
                end(it->second, "removed");
            }
            it = m_targets.erase(it);
            continue;
        }
        if (found->second->line != it->second.spec.line && it->second.session) {
            end(it->second, "changed");
        }
        ++it;
    }
    for (const TargetSpec &spec : list.targets) {
        const auto existing = m_targets.find(spec.tag);
        if (existing != m_targets.end() && existing->second.spec.line == spec.line) {
            continue; // unchanged: left alone, also when it has ended
        }
        Target &target = m_targets[spec.tag];
        target.spec = spec;
        install(target);
    }
}

void MultiMirror::install(Target &target)
{
    const std::string &tag = target.spec.tag;
    auto session = std::make_unique<MirrorSession>(target.spec.options, tag);
    int exitCode = ExitFailure;
    std::string message;
    try {
        session->start();
        target.session = std::move(session);
        return;
    } catch (const AgentError &error) {
        exitCode = error.exitCode();
        message = error.what();
    } catch (const std::exception &error) {
        message = std::string("internal error: ") + error.what();
    }
    session.reset(); // whatever it made is gone already; this closes its sockets
    note("target " + tag + ": " + message);
    emitEvent("error",
        JsonLine()
            .add("target", tag)
            .add("code", failureCode(exitCode))
            .add("message", message)
            .add("exit_code", exitCode));
    emitEvent("stopped", JsonLine().add("target", tag).add("reason", "failed").add("device", target.spec.options.name));
}

void MultiMirror::end(Target &target, const std::string &reason)
{
    std::unique_ptr<MirrorSession> session = std::move(target.session);
    try {
        session->finish(reason);
    } catch (const std::exception &error) {
        // finish() reports a failed teardown itself; this is a failure to read the final counters.
        emitEvent(
            "error", JsonLine().add("target", target.spec.tag).add("code", "teardown").add("message", error.what()));
        emitEvent("stopped",
            JsonLine().add("target", target.spec.tag).add("reason", reason).add("device", target.spec.options.name));
    }
}

void MultiMirror::emitTargets() const
{
    std::vector<std::string> active;
    std::vector<std::string> ended;
    for (const auto &[tag, target] : m_targets) {
        (target.session ? active : ended).push_back(tag);
    }
    emitEvent("targets",
        JsonLine()
            .add("active", active)
            .add("ended", ended)
            .add("file", m_options.targetsFile)
            .add("version", kAgentVersion)
            .add("contract", kAgentContract));
}

int MultiMirror::run()
{
    raiseFileLimit();
    const UniqueFd signals = stopSignalFd();
    StopRules rules(m_options);
    const UniqueFd inotify = watchDirectoryOf(m_options.targetsFile);
    reload();

    std::int64_t nextTick = bootMs() + 1000;
    std::int64_t nextStats = m_options.statsInterval > 0 ? bootMs() + m_options.statsInterval * 1000LL : -1;
    std::string reason;
    std::vector<pollfd> pfds;
    std::vector<std::string> watched; // the tag of each link monitor in pfds, after the fixed entries
    while (reason.empty()) {
        pfds.assign({{signals.get(), POLLIN, 0}, {inotify.valid() ? inotify.get() : -1, POLLIN, 0}});
        watched.clear();
        for (const auto &[tag, target] : m_targets) {
            if (target.session) {
                pfds.push_back({target.session->linkMonitorFd(), POLLIN, 0});
                watched.push_back(tag);
            }
        }
        const std::int64_t now = bootMs();
        const std::int64_t wakeAt = nextStats >= 0 ? std::min(nextTick, nextStats) : nextTick;
        const int ready = ::poll(pfds.data(), pfds.size(), static_cast<int>(std::max<std::int64_t>(0, wakeAt - now)));
        if (ready < 0 && errno != EINTR) {
            throw AgentError(ExitFailure, std::string("poll: ") + std::strerror(errno));
        }
        if (ready > 0 && (pfds[0].revents & POLLIN)) {
            const std::string signal = readStopSignal(signals.get());
            if (!signal.empty()) {
                note("received " + signal + ", tearing down every target");
                reason = "signal";
                break;
            }
        }
        bool changed = false;
        if (ready > 0) {
            for (std::size_t i = 0; i < watched.size(); ++i) {
                if (pfds[i + 2].revents == 0) {
                    continue;
                }
                Target &target = m_targets.at(watched[i]);
                std::string why;
                try {
                    why = target.session->onLinkNotification();
                } catch (const AgentError &error) {
                    emitEvent("error",
                        JsonLine().add("target", watched[i]).add("code", "failed").add("message", error.what()));
                    why = "failed";
                }
                if (!why.empty()) {
                    end(target, why);
                    changed = true;
                }
            }
            if (pfds[1].revents & POLLIN) {
                drain(inotify.get());
                reload(); // emits `targets` itself
            }
        }
        const std::int64_t after = bootMs();
        if (nextStats >= 0 && after >= nextStats) {
            for (auto &[tag, target] : m_targets) {
                if (target.session) {
                    try {
                        target.session->emitStats();
                    } catch (const AgentError &error) {
                        note("target " + tag + ": stats: " + error.what());
                    }
                }
            }
            nextStats += m_options.statsInterval * 1000LL;
        }
        if (after >= nextTick) {
            nextTick = after + 1000;
            reload();
            for (auto &[tag, target] : m_targets) {
                if (!target.session) {
                    continue;
                }
                std::string why;
                try {
                    why = target.session->checkTarget();
                } catch (const AgentError &error) {
                    emitEvent(
                        "error", JsonLine().add("target", tag).add("code", "failed").add("message", error.what()));
                    why = "failed";
                }
                if (!why.empty()) {
                    end(target, why);
                    changed = true;
                }
            }
            reason = rules.check();
        }
        if (changed) {
            emitTargets();
        }
    }
    int stopped = 0;
    for (auto &[tag, target] : m_targets) {
        if (target.session) {
            end(target, reason);
            ++stopped;
        }
    }
    emitEvent("stopped", JsonLine().add("reason", reason).add("targets", stopped));
    return ExitOk;
}

} // namespace podtap::agent
