// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line.h"
#include "link_control.h"
#include "netlink_socket.h"
#include "tc_control.h"

#include <memory>
#include <string>
#include <vector>

namespace podtap::agent {

/// @brief Removes podtap's filters (and VXLAN devices) from one interface/netns.
///
/// With a session key only that session's marks go; without one, every podtap mark goes. Filters of other
/// tools and the qdisc are never touched. Returns the number of filters removed; throws AgentError(4).
int removePodtapFilters(const TcControl &tc, const std::string *sessionKey);
int removePodtapDevices(const LinkControl &links, const std::string *sessionKey);
std::string deviceAlias(const std::string &sessionKey);

/// @brief One running mirror: installs the VXLAN device and the tc filters, reports, and tears down.
class MirrorSession
{
public:
    explicit MirrorSession(AgentOptions options);
    ~MirrorSession();
    MirrorSession(const MirrorSession &) = delete;
    MirrorSession &operator=(const MirrorSession &) = delete;

    /// Runs until a stop condition; returns the exit code. Throws AgentError on failure (after tearing down).
    int run();

private:
    struct AddedFilter
    {
        Hook hook;
        std::uint32_t prio;
        std::string kind;
    };

    void install();
    void teardown();
    std::string waitForStop();
    void emitStats();

    AgentOptions m_options;
    ResolvedTarget m_target;
    UniqueFd m_podNetns;
    std::unique_ptr<NetlinkSocket> m_nodeSocket;
    std::unique_ptr<NetlinkSocket> m_podSocket;
    std::unique_ptr<TcControl> m_tc;
    int m_vxlanIfindex = 0;
    bool m_addedClsact = false;
    std::vector<AddedFilter> m_filters;
    bool m_tornDown = false;
};

} // namespace podtap::agent
