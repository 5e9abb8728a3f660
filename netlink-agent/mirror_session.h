// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line.h"
#include "json_line.h"
#include "link_control.h"
#include "netlink_socket.h"
#include "tc_control.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace podtap::agent {

/// @brief Removes podtap's filters (and VXLAN devices) from one interface/netns.
///
/// With a session key only that session's marks go; without one, every podtap mark goes. Filters of other
/// tools and the qdisc are never touched. Returns the number of filters removed; throws AgentError(4).
int removePodtapFilters(const TcControl &tc, const std::string *sessionKey);
int removePodtapDevices(const LinkControl &links, const std::string *sessionKey);

/// The mark on a session's VXLAN device: "podtap session=KEY", followed by " clsact=IFNAME" for each pod
/// interface whose clsact qdisc the session is to remove when it ends (podtap added that qdisc).
std::string deviceAlias(const std::string &sessionKey);
/// Removes the clsact podtap added on @p ifname once both hooks are empty. While other filters stay, the
/// duty passes to another podtap device in the netns (a session that ends later); with none, only
/// foreign filters remain and the qdisc is theirs to keep. @p leaving are the devices about to go (a
/// session's one or two devices), none of which may inherit the duty.
void releaseClsact(const LinkControl &links, const std::string &ifname, const std::set<int> &leaving);

/// @brief One running mirror: installs the VXLAN device and the tc filters, reports, and tears down.
///
/// `run()` is the single-target `mirror`. A multi-target agent drives the same steps itself: start(), then
/// onLinkNotification() when linkMonitorFd() is readable, checkTarget() about once a second, emitStats(), and
/// finish() with the reason it ends.
class MirrorSession
{
public:
    /// @p tag: empty for the single-target mirror; otherwise every event the session emits carries
    /// `"target": tag` right after "event".
    explicit MirrorSession(AgentOptions options, std::string tag = {});
    ~MirrorSession();
    MirrorSession(const MirrorSession &) = delete;
    MirrorSession &operator=(const MirrorSession &) = delete;

    /// Runs until a stop condition; returns the exit code. Throws AgentError on failure (after tearing down).
    int run();

    /// Installs the mirror and emits `ready` (after a `warning` on MTU). On failure it removes what it had
    /// made and rethrows the AgentError.
    void start();
    /// The socket of link notifications in the pod netns (valid once start() succeeded).
    int linkMonitorFd() const { return m_linkMonitor.get(); }
    /// Reads the pending link notifications; "device-changed" when a tunnel device was changed under the
    /// agent, else empty.
    std::string onLinkNotification();
    /// The checks of each second: "device-changed" (a change not seen through notifications, e.g. right
    /// after start), "target-gone" (no process of the pod is left in its netns), else empty.
    std::string checkTarget();
    /// Emits a `stats` event.
    void emitStats();
    /// Ends the session for @p reason: an `error` for device-changed, then the final counters, teardown and
    /// `stopped`. Untagged, a failed teardown throws AgentError (no `stopped`); tagged, it is an `error`
    /// (code teardown) and `stopped` follows anyway.
    void finish(const std::string &reason);
    const std::string &tag() const { return m_tag; }
    const AgentOptions &options() const { return m_options; }

private:
    struct AddedFilter
    {
        Hook hook;
        std::uint32_t prio;
        std::string kind;
    };
    /// One of our u32 filters whose priority another session also took, on the other hook.
    struct Clash
    {
        AddedFilter filter;
        std::uint32_t handle = 0; ///< our rule's handle
        bool sharedTable = false; ///< another session's filter sits in our table (same hook, same priority)
    };

    /// One VXLAN device of the session: the first carries ingress (and egress without --egress-vni), the
    /// second, with --egress-vni, egress.
    struct Tunnel
    {
        std::string name;
        std::uint32_t vni = 0;
        int ifindex = 0;
        VxlanState expected; ///< the device as installed
    };

    void install();
    /// Creates, hardens, marks and brings up one tunnel device in the pod netns, and records it in m_tunnels
    /// as soon as it exists (so a failure later on still removes it).
    void createTunnel(const std::string &name, std::uint32_t vni, const VxlanSpec &common, const std::string &key);
    /// The device that mirrors @p hook's frames.
    const Tunnel &tunnelFor(Hook hook) const;
    std::vector<int> tunnelIfindexes() const;
    void addClsact();
    void addFilter(Hook hook, const PodtapCookie &cookie);
    /// Our u32 filters whose priority another session took at the same moment on the other hook.
    /// @p othersMove is true when every such filter belongs to a session that is to move instead.
    std::vector<Clash> clashingFilters(bool *othersMove) const;
    void settlePriorityClashes(const PodtapCookie &cookie);
    void teardown();
    std::string waitForStop();
    /// Human text on stderr, after "target TAG: " when the session has a tag.
    void say(const std::string &text) const;
    /// Emits @p event with "target" first when the session has a tag.
    void emit(const std::string &event, JsonLine fields) const;
    /// Appends the session's counters (the fields of `stats`) to @p line.
    void addCounters(JsonLine &line) const;
    /// What changed on a tunnel device since install (remote, VNI, down, deleted, ...), or empty.
    std::string deviceChange() const;
    std::string deviceChange(const Tunnel &tunnel) const;

    AgentOptions m_options;
    ResolvedTarget m_target;
    UniqueFd m_podNetns;
    std::unique_ptr<NetlinkSocket> m_nodeSocket;
    std::unique_ptr<NetlinkSocket> m_podSocket;
    std::unique_ptr<TcControl> m_tc;
    std::vector<Tunnel> m_tunnels; ///< [0] the --vni device, [1] the --egress-vni device if any
    bool m_addedClsact = false;
    std::vector<AddedFilter> m_filters;
    bool m_tornDown = false;
    UniqueFd m_linkMonitor; ///< link notifications of the pod netns
    std::string m_deviceChange; ///< why the device-changed stop happened
    std::string m_tag; ///< the target's tag in a multi-target agent, else empty
    bool m_checkDevice = true; ///< look at the devices at the next check (once at the start, then on notice)
};

} // namespace podtap::agent
