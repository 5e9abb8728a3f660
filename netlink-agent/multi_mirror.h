// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line.h"
#include "mirror_session.h"
#include "target_list.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace podtap::agent {

/// @brief `mirror --targets-file`: many mirrors in one process, following a targets file as it changes.
///
/// One poll loop serves the stop signals, every target's link notifications, inotify on the file's directory
/// and a tick each second that re-reads the file, applies the difference, checks each target and the
/// agent-wide stop rules (heartbeat, deadline). Each target is a MirrorSession with its own session key, so
/// ending one never touches another's filters or devices.
class MultiMirror final
{
public:
    explicit MultiMirror(AgentOptions options);
    ~MultiMirror();
    MultiMirror(const MultiMirror &) = delete;
    MultiMirror &operator=(const MultiMirror &) = delete;

    /// Runs until a signal, heartbeat lapse or deadline; returns the exit code (0 unless the agent itself
    /// cannot run).
    int run();

private:
    struct Target
    {
        TargetSpec spec;
        std::unique_ptr<MirrorSession> session; ///< null once the target ended (failed, gone, changed device)
    };

    /// The list's text, or nothing with @p error set when the file or the annotation cannot be read.
    std::optional<std::string> readList(std::string *error) const;
    /// Re-reads the file and applies it when its list changed; true when something changed.
    bool reload();
    void apply(const TargetList &list);
    void install(Target &target);
    /// Ends a running target for @p reason (its `stopped` event included).
    void end(Target &target, const std::string &reason);
    void emitTargets() const;

    AgentOptions m_options;
    std::map<std::string, Target> m_targets; ///< by tag
    std::optional<std::string> m_lastList; ///< the list text last applied
    std::string m_lastReadError; ///< reported once until it changes
};

} // namespace podtap::agent
