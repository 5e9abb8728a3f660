// SPDX-License-Identifier: Apache-2.0
#include "target_finder.h"

#include "agent_error.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace podtap::agent {

namespace {

std::string readSmallFile(const std::string &path)
{
    std::ifstream in(path);
    if (!in) {
        return {};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool startsWith(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

bool endsWith(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

/// Calls @p visit with each path component of each cgroup line (`hierarchy:controllers:/a/b/c`).
template<typename Visit>
bool anyComponent(std::string_view file, Visit visit)
{
    std::size_t lineStart = 0;
    while (lineStart < file.size()) {
        std::size_t lineEnd = file.find('\n', lineStart);
        if (lineEnd == std::string_view::npos) {
            lineEnd = file.size();
        }
        std::string_view line = file.substr(lineStart, lineEnd - lineStart);
        lineStart = lineEnd + 1;
        // The path is everything after the second colon; controllers never contain ':' but paths may.
        const std::size_t first = line.find(':');
        const std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second == std::string_view::npos) {
            continue;
        }
        std::string_view path = line.substr(second + 1);
        std::size_t pos = 0;
        while (pos <= path.size()) {
            std::size_t slash = path.find('/', pos);
            if (slash == std::string_view::npos) {
                slash = path.size();
            }
            const std::string_view component = path.substr(pos, slash - pos);
            if (!component.empty() && visit(component)) {
                return true;
            }
            pos = slash + 1;
        }
    }
    return false;
}

bool statInode(const std::string &path, unsigned long long &inode, unsigned long long &device)
{
    struct stat st = {};
    if (::stat(path.c_str(), &st) != 0) {
        return false;
    }
    inode = st.st_ino;
    device = st.st_dev;
    return true;
}

std::vector<int> numericEntries(const std::string &dir)
{
    std::vector<int> pids;
    DIR *d = ::opendir(dir.c_str());
    if (!d) {
        return pids;
    }
    while (const dirent *entry = ::readdir(d)) {
        const std::string_view name = entry->d_name;
        // A pid has at most 7 digits (pid_max is at most 2^22); anything longer is not a process.
        if (name.empty() || name.size() > 9 ||
            !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            continue;
        }
        pids.push_back(std::stoi(std::string(name)));
    }
    ::closedir(d);
    std::sort(pids.begin(), pids.end());
    return pids;
}

} // namespace

std::string TargetSelector::describe() const
{
    switch (kind) {
    case Kind::ContainerId:
        return "container " + value;
    case Kind::PodUid:
        return "pod UID " + value;
    case Kind::Pid:
        return "pid " + value;
    case Kind::Netns:
        return "netns " + value;
    case Kind::None:
        break;
    }
    return "no target";
}

TargetFinder::TargetFinder(std::string procRoot, std::string netnsDir)
    : m_procRoot(std::move(procRoot))
    , m_netnsDir(std::move(netnsDir))
{
    while (m_procRoot.size() > 1 && m_procRoot.back() == '/') {
        m_procRoot.pop_back();
    }
}

std::string TargetFinder::normalizeContainerId(std::string_view raw)
{
    const std::size_t scheme = raw.find("://");
    if (scheme != std::string_view::npos) {
        raw = raw.substr(scheme + 3);
    }
    return std::string(raw);
}

bool TargetFinder::cgroupNamesContainer(std::string_view cgroupFile, std::string_view id)
{
    if (id.empty()) {
        return false;
    }
    return anyComponent(cgroupFile, [id](std::string_view component) {
        if (component == id) {
            return true; // cgroupfs driver: /kubepods/besteffort/pod<uid>/<id>, /docker/<id>
        }
        if (!endsWith(component, ".scope")) {
            return false;
        }
        component.remove_suffix(6);
        // systemd driver: <runtime>-<id>.scope. CRI-O's conmon lives in crio-conmon-<id>.scope in the
        // node's netns, so it must not match; its prefix is longer and the id check below rejects it.
        for (std::string_view prefix : {"cri-containerd-", "crio-", "docker-", "libpod-"}) {
            if (startsWith(component, prefix) && component.substr(prefix.size()) == id) {
                return true;
            }
        }
        return false;
    });
}

bool TargetFinder::cgroupNamesPod(std::string_view cgroupFile, std::string_view uid)
{
    if (uid.empty()) {
        return false;
    }
    std::string underscored(uid);
    std::replace(underscored.begin(), underscored.end(), '-', '_');
    return anyComponent(cgroupFile, [&](std::string_view component) {
        if (endsWith(component, ".slice")) {
            component.remove_suffix(6);
        }
        for (const std::string &form : {std::string(uid), underscored}) {
            const std::string needle = "pod" + form;
            if (!endsWith(component, needle)) {
                continue;
            }
            const std::size_t at = component.size() - needle.size();
            if (at == 0 || component[at - 1] == '-') {
                return true; // /kubepods/burstable/pod<uid> or kubepods-burstable-pod<uid_>.slice
            }
        }
        return false;
    });
}

std::vector<int> TargetFinder::matchingPids(const TargetSelector &selector) const
{
    std::vector<int> result;
    for (const int pid : numericEntries(m_procRoot)) {
        const std::string cgroup = readSmallFile(m_procRoot + "/" + std::to_string(pid) + "/cgroup");
        if (cgroup.empty()) {
            continue;
        }
        const bool match = selector.kind == TargetSelector::Kind::ContainerId
            ? cgroupNamesContainer(cgroup, selector.value)
            : selector.kind == TargetSelector::Kind::PodUid && cgroupNamesPod(cgroup, selector.value);
        if (match) {
            result.push_back(pid);
        }
    }
    return result;
}

ResolvedTarget TargetFinder::resolve(const TargetSelector &selector) const
{
    unsigned long long selfInode = 0;
    unsigned long long selfDevice = 0;
    // /proc/1/ns/net may be unreadable in a container; our own netns is the node's (hostNetwork).
    statInode("/proc/self/ns/net", selfInode, selfDevice);

    std::vector<std::string> candidates;
    std::vector<int> pids;
    switch (selector.kind) {
    case TargetSelector::Kind::Netns:
        candidates.push_back(
            selector.value.find('/') == std::string::npos ? m_netnsDir + "/" + selector.value : selector.value);
        pids.push_back(0);
        break;
    case TargetSelector::Kind::Pid:
        candidates.push_back(m_procRoot + "/" + selector.value + "/ns/net");
        pids.push_back(std::stoi(selector.value));
        break;
    case TargetSelector::Kind::ContainerId:
    case TargetSelector::Kind::PodUid:
        for (const int pid : matchingPids(selector)) {
            candidates.push_back(m_procRoot + "/" + std::to_string(pid) + "/ns/net");
            pids.push_back(pid);
        }
        break;
    case TargetSelector::Kind::None:
        throw usageError("no target: give one of --container-id, --pod-uid, --pid or --netns");
    }

    bool sawOwnNetns = false;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        ResolvedTarget target;
        if (!statInode(candidates[i], target.inode, target.device)) {
            continue; // the process exited meanwhile, or its netns is unreadable
        }
        if (target.inode == selfInode && target.device == selfDevice) {
            sawOwnNetns = true;
            continue;
        }
        target.netnsPath = candidates[i];
        target.pid = pids[i];
        return target;
    }
    if (sawOwnNetns) {
        throw AgentError(ExitTargetNotFound,
            selector.describe() +
                " shares the agent's own network namespace (a hostNetwork pod or the node "
                "itself): mirroring it would loop the VXLAN tunnel into itself; pick a pod "
                "with its own network namespace");
    }
    if (selector.kind == TargetSelector::Kind::ContainerId || selector.kind == TargetSelector::Kind::PodUid) {
        throw AgentError(ExitTargetNotFound,
            selector.describe() + " not found: no process under " + m_procRoot +
                " has it in its cgroup path; check the ID (kubectl get pod -o "
                "jsonpath='{.status.containerStatuses[*].containerID}') and that --proc-root is the host's /proc");
    }
    throw AgentError(ExitTargetNotFound,
        selector.describe() + " not found: " + candidates.front() + " does not exist or is not readable");
}

bool TargetFinder::stillPresent(const TargetSelector &selector, const ResolvedTarget &target) const
{
    const auto inNetns = [&target](const std::string &path) {
        unsigned long long inode = 0;
        unsigned long long device = 0;
        return statInode(path, inode, device) && inode == target.inode && device == target.device;
    };
    switch (selector.kind) {
    case TargetSelector::Kind::Netns:
        return inNetns(target.netnsPath);
    case TargetSelector::Kind::Pid:
        return inNetns(target.netnsPath);
    case TargetSelector::Kind::ContainerId:
    case TargetSelector::Kind::PodUid: {
        // Cheap check first: the process we found is usually still there.
        if (target.pid > 0 && inNetns(m_procRoot + "/" + std::to_string(target.pid) + "/ns/net")) {
            const std::string cgroup = readSmallFile(m_procRoot + "/" + std::to_string(target.pid) + "/cgroup");
            const bool same = selector.kind == TargetSelector::Kind::ContainerId
                ? cgroupNamesContainer(cgroup, selector.value)
                : cgroupNamesPod(cgroup, selector.value);
            if (same) {
                return true;
            }
        }
        for (const int pid : matchingPids(selector)) {
            if (inNetns(m_procRoot + "/" + std::to_string(pid) + "/ns/net")) {
                return true;
            }
        }
        return false;
    }
    case TargetSelector::Kind::None:
        break;
    }
    return false;
}

} // namespace podtap::agent
