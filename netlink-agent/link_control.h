// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "netlink_socket.h"

#include <cstdint>
#include <string>
#include <vector>

namespace podtap::agent {

/// @brief What podtap needs to know about one link.
struct LinkInfo
{
    int ifindex = 0;
    std::string name;
    std::string kind; ///< "vxlan", "veth", ... or empty for a plain device
    std::string mac;
    std::string alias;
    unsigned mtu = 0;
    bool up = false;
    std::uint64_t txErrors = 0;
    std::uint64_t txDropped = 0;
};

/// @brief Parameters of a VXLAN device.
struct VxlanSpec
{
    std::string name;
    std::uint32_t vni = 0;
    std::uint16_t port = 4789;
    std::string remote; ///< IP literal or empty
    std::string local; ///< IP literal or empty
    int underlayIfindex = 0; ///< IFLA_VXLAN_LINK, 0 for none
    int targetNetnsFd = -1; ///< create directly in this netns (its UDP socket stays in the socket's netns)
};

/// @brief What the kernel reports about a VXLAN device right now: what a change under the agent alters.
struct VxlanState
{
    bool exists = false;
    bool up = false;
    std::string name;
    std::string kind;
    std::uint32_t vni = 0;
    std::string remote; ///< normalized IP literal, empty for none
    std::string local;
    std::uint16_t port = 0;
    int underlayIfindex = 0;
};

/// @brief Link operations in the netns of one netlink socket.
class LinkControl
{
public:
    explicit LinkControl(NetlinkSocket &socket);

    /// Looks a link up by name; returns false when there is none.
    bool find(const std::string &name, LinkInfo &info) const;
    bool find(int ifindex, LinkInfo &info) const;
    std::vector<LinkInfo> all() const;

    /// Creates a VXLAN device, still down: id, local, remote, dstport, nolearning.
    KernelReply createVxlan(const VxlanSpec &spec) const;
    /// Sets @p alias (podtap's mark), turns IPv6 address generation off and strict rp_filter on, and only
    /// then, in a second message, brings the link up.
    KernelReply finishAndUp(int ifindex, const std::string &alias) const;
    /// Reads the state of VXLAN device @p ifindex; a missing device gives exists == false (and ENODEV).
    KernelReply vxlanState(int ifindex, VxlanState &state) const;
    KernelReply remove(int ifindex) const;
    KernelReply setAlias(int ifindex, const std::string &alias) const;

    /// The ifindex of the link holding @p address (an IP literal), or 0.
    int linkWithAddress(const std::string &address) const;
    /// The first global address of @p family on @p ifindex, or empty.
    std::string addressOf(int ifindex, int family) const;

    NetlinkSocket &socket() const { return m_socket; }

private:
    NetlinkSocket &m_socket;
};

/// Best effort: turns IPv6 off on @p name in the netns of @p netnsFd (-1: the agent's), so the device
/// sends no MLD reports of its own into the capture. Needs a writable /proc/sys; returns false otherwise.
bool disableIpv6(int netnsFd, const std::string &name);

/// @p literal in the form the kernel reports it (inet_ntop of inet_pton), or unchanged when not an IP.
std::string normalizedIp(const std::string &literal);

/// A non-blocking netlink socket in the netns of @p netnsFd (-1: the agent's) subscribed to link
/// notifications (RTNLGRP_LINK); invalid on failure.
UniqueFd openLinkMonitor(int netnsFd);
/// Reads every pending notification from @p fd; true when one concerns one of @p ifindexes, or some were lost.
bool drainLinkMonitor(int fd, const std::vector<int> &ifindexes);

/// The local address the kernel would use to reach @p remote (UDP connect, nothing sent), or empty.
std::string localAddressToward(const std::string &remote, std::uint16_t port);

} // namespace podtap::agent
