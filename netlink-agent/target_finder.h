// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace podtap::agent {

/// @brief How the operator named the pod whose interface is mirrored.
struct TargetSelector
{
    enum class Kind { None, ContainerId, PodUid, Pid, Netns };
    Kind kind = Kind::None;
    std::string value; ///< container ID without runtime prefix, pod UID, pid or netns path/name

    std::string describe() const;
};

/// @brief The network namespace a selector resolved to.
struct ResolvedTarget
{
    std::string netnsPath; ///< path opened to enter the netns, e.g. /proc/123/ns/net
    int pid = 0; ///< a process in the pod (0 for --netns)
    unsigned long long inode = 0; ///< netns inode, to notice pid reuse
    unsigned long long device = 0;
};

/// @brief Finds a pod's network namespace from a container ID, pod UID, pid or netns path.
///
/// Container runtimes put a container's processes in cgroups whose last path components carry its ID:
/// containerd `cri-containerd-<id>.scope` (systemd) or `.../<id>` (cgroupfs), CRI-O `crio-<id>.scope`,
/// docker `docker-<id>.scope` or `/docker/<id>`; pods add `pod<uid>` or `kubepods-*-pod<uid_>.slice`.
/// This reads `<proc-root>/<pid>/cgroup` (v1 and v2 lines alike) and never talks to a runtime.
class TargetFinder
{
public:
    explicit TargetFinder(std::string procRoot, std::string netnsDir = "/var/run/netns");

    /// Strips `containerd://`, `cri-o://`, `docker://` (and similar) prefixes.
    static std::string normalizeContainerId(std::string_view raw);
    /// True when one line of a cgroup file names the container @p id.
    static bool cgroupNamesContainer(std::string_view cgroupFile, std::string_view id);
    /// True when one line of a cgroup file lies inside the pod @p uid (dashes or systemd underscores).
    static bool cgroupNamesPod(std::string_view cgroupFile, std::string_view uid);

    /// Pids under the proc root whose cgroup matches @p selector (container ID or pod UID), ascending.
    std::vector<int> matchingPids(const TargetSelector &selector) const;

    /// Resolves @p selector. Throws AgentError(3) when nothing matches or the target shares the agent's
    /// own network namespace (mirroring it would loop the tunnel into itself).
    ResolvedTarget resolve(const TargetSelector &selector) const;

    /// True while some process still matches @p selector inside @p target's netns (or, for --netns, while
    /// the path still exists). Used to stop when the pod's processes are gone.
    bool stillPresent(const TargetSelector &selector, const ResolvedTarget &target) const;

private:
    std::string m_procRoot;
    std::string m_netnsDir;
};

} // namespace podtap::agent
