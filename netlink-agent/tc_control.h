// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bpf_program.h"
#include "netlink_socket.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace podtap::agent {

enum class Hook { Ingress, Egress };
const char *hookName(Hook hook);

/// @brief One qdisc as the kernel reports it.
struct QdiscInfo
{
    int ifindex = 0;
    std::string kind;
    std::uint32_t handle = 0;
    std::uint32_t parent = 0;
};

/// @brief One filter entry on a clsact hook, with its podtap mark and its action counters.
struct FilterInfo
{
    Hook hook = Hook::Ingress;
    std::uint32_t prio = 0;
    std::uint16_t protocol = 0; ///< host order
    std::uint32_t handle = 0;
    std::string kind;
    bool podtap = false; ///< an action carries podtap's cookie
    std::uint64_t sessionHash = 0; ///< from the cookie
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;

    /// False for the u32 hash-table entries the kernel lists next to the real filters.
    bool isRule() const { return kind != "u32" || (handle & 0xfffu) != 0; }
};

/// podtap marks each of its mirred actions with a 16-byte TC action cookie: "podtap", a format byte, a
/// reserved byte and the 64-bit FNV-1a hash of the session key. The kernel stores cookies opaquely and
/// returns them in every dump, so a restarted agent or `cleanup` recognises podtap's filters whatever
/// their priority or handle, and tells sessions apart, without any state kept outside the kernel.
using PodtapCookie = std::array<unsigned char, 16>;
PodtapCookie podtapCookie(const std::string &sessionKey);
std::uint64_t sessionHash(const std::string &sessionKey);

/// @brief tc operations (clsact qdisc, u32/bpf filters with mirred) on one interface of one netns.
///
/// libnl 3.7 has no clsact qdisc and no bpf classifier module, so messages are built with libnl's
/// message API. Each operation returns the kernel's reply; describe() names it for an error message.
class TcControl
{
public:
    TcControl(NetlinkSocket &socket, std::string ifname, int ifindex);

    std::vector<QdiscInfo> qdiscs() const;
    /// The qdisc holding the clsact/ingress hooks (handle ffff:), or an empty kind.
    QdiscInfo hookQdisc() const;

    KernelReply addClsact() const;
    KernelReply deleteClsact() const;

    std::vector<FilterInfo> filters(Hook hook, KernelReply *reply = nullptr) const;

    /// Adds a match-all u32 filter (or a classic-BPF filter when @p bpf is set) at @p prio whose action is
    /// `mirred egress mirror dev <mirrorIfindex>` with control action continue.
    KernelReply addMirrorFilter(
        Hook hook, std::uint32_t prio, int mirrorIfindex, const PodtapCookie &cookie, const BpfProgram *bpf) const;
    /// Adds a filter at @p prio on @p hook that drops every packet: a two-instruction eBPF program
    /// (`r0 = TC_ACT_SHOT; exit`) loaded with the bpf() syscall and attached as direct-action cls_bpf.
    /// This kernel has no gact, so there is no "action drop" to attach instead.
    KernelReply addDropAll(Hook hook, std::uint32_t prio) const;
    /// Deletes the filters at @p prio on @p hook (podtap gives each session a priority of its own), or only
    /// the one with @p handle when it is not 0.
    KernelReply deleteFilters(
        Hook hook, std::uint32_t prio, std::uint16_t protocol, const std::string &kind, std::uint32_t handle = 0) const;

    /// "add clsact on eth0 (ifindex 7) in netns /proc/123/ns/net".
    std::string describe(const std::string &operation) const;

    const std::string &ifname() const { return m_ifname; }
    int ifindex() const { return m_ifindex; }

private:
    NetlinkSocket &m_socket;
    std::string m_ifname;
    int m_ifindex;
};

} // namespace podtap::agent
