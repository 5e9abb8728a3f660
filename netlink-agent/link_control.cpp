// SPDX-License-Identifier: Apache-2.0
#include "link_control.h"

#include "command_line.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace podtap::agent {

namespace {

LinkInfo toInfo(rtnl_link *link)
{
    LinkInfo info;
    info.ifindex = rtnl_link_get_ifindex(link);
    if (const char *name = rtnl_link_get_name(link)) {
        info.name = name;
    }
    if (const char *type = rtnl_link_get_type(link)) {
        info.kind = type;
    }
    if (const char *alias = rtnl_link_get_ifalias(link)) {
        info.alias = alias;
    }
    if (nl_addr *addr = rtnl_link_get_addr(link)) {
        char buf[64] = {};
        nl_addr2str(addr, buf, sizeof buf);
        info.mac = buf;
    }
    info.mtu = rtnl_link_get_mtu(link);
    info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    info.txErrors = rtnl_link_get_stat(link, RTNL_LINK_TX_ERRORS);
    info.txDropped = rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED);
    return info;
}

NlMsgPtr linkMessage(int type, int flags, int ifindex)
{
    NlMsgPtr msg = newMessage(type, flags);
    ifinfomsg ifi = {};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = ifindex;
    nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
    return msg;
}

} // namespace

LinkControl::LinkControl(NetlinkSocket &socket)
    : m_socket(socket)
{
}

bool LinkControl::find(const std::string &name, LinkInfo &info) const
{
    rtnl_link *raw = nullptr;
    if (rtnl_link_get_kernel(m_socket.get(), 0, name.c_str(), &raw) < 0 || !raw) {
        return false;
    }
    RtnlLinkPtr link(raw);
    info = toInfo(link.get());
    return true;
}

bool LinkControl::find(int ifindex, LinkInfo &info) const
{
    rtnl_link *raw = nullptr;
    if (rtnl_link_get_kernel(m_socket.get(), ifindex, nullptr, &raw) < 0 || !raw) {
        return false;
    }
    RtnlLinkPtr link(raw);
    info = toInfo(link.get());
    return true;
}

std::vector<LinkInfo> LinkControl::all() const
{
    std::vector<LinkInfo> result;
    nl_cache *raw = nullptr;
    if (rtnl_link_alloc_cache(m_socket.get(), AF_UNSPEC, &raw) < 0) {
        return result;
    }
    NlCachePtr cache(raw);
    for (nl_object *obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        result.push_back(toInfo(reinterpret_cast<rtnl_link *>(obj)));
    }
    return result;
}

KernelReply LinkControl::createVxlan(const VxlanSpec &spec) const
{
    // Built by hand rather than with rtnl_link_vxlan_set_port(): libnl 3.7 sends IFLA_VXLAN_PORT as a
    // u32, while the kernel reads a big-endian u16 from it, which ends up as the wrong port.
    NlMsgPtr msg = linkMessage(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    nl_msg *m = msg.get();
    nla_put_string(m, IFLA_IFNAME, spec.name.c_str());
    if (spec.targetNetnsFd >= 0) {
        // Created straight into the pod netns: the device lives there, but the kernel keeps its UDP socket in
        // the netns of this netlink socket (the node's). Same result as create-then-move, minus the window in
        // which a crash would leave the device behind in the node netns.
        nla_put_u32(m, IFLA_NET_NS_FD, static_cast<std::uint32_t>(spec.targetNetnsFd));
    }
    nlattr *linkinfo = nla_nest_start(m, IFLA_LINKINFO);
    nla_put_string(m, IFLA_INFO_KIND, "vxlan");
    nlattr *data = nla_nest_start(m, IFLA_INFO_DATA);
    nla_put_u32(m, IFLA_VXLAN_ID, spec.vni);
    in6_addr address = {};
    int family = 0;
    if (!spec.remote.empty() && parseIpLiteral(spec.remote, &family, &address)) {
        if (family == AF_INET) {
            nla_put(m, IFLA_VXLAN_GROUP, 4, &address);
        } else {
            nla_put(m, IFLA_VXLAN_GROUP6, 16, &address);
        }
    }
    if (!spec.local.empty() && parseIpLiteral(spec.local, &family, &address)) {
        if (family == AF_INET) {
            nla_put(m, IFLA_VXLAN_LOCAL, 4, &address);
        } else {
            nla_put(m, IFLA_VXLAN_LOCAL6, 16, &address);
        }
    }
    if (spec.underlayIfindex > 0) {
        nla_put_u32(m, IFLA_VXLAN_LINK, static_cast<std::uint32_t>(spec.underlayIfindex));
    }
    nla_put_u16(m, IFLA_VXLAN_PORT, htons(spec.port));
    nla_put_u8(m, IFLA_VXLAN_LEARNING, 0);
    if (family == AF_INET) {
        // RFC 7348: the outer UDP checksum SHOULD be zero over IPv4. It also spares one checksum pass over
        // every mirrored frame in the pod's own send path (about a tenth of the throughput a pod keeps
        // when its frames must be fragmented). IPv6 requires the checksum.
        nla_put_u8(m, IFLA_VXLAN_UDP_CSUM, 0);
    }
    nla_nest_end(m, data);
    nla_nest_end(m, linkinfo);
    return m_socket.request(std::move(msg));
}

KernelReply LinkControl::finishAndUp(int ifindex, const std::string &alias) const
{
    // Two messages: the kernel applies a message's flags before its IFLA_AF_SPEC, so "up" and
    // "addrgenmode none" in one message give the device a link-local address before the mode takes effect.
    NlMsgPtr configure = linkMessage(RTM_NEWLINK, 0, ifindex);
    nl_msg *m = configure.get();
    nla_put_string(m, IFLA_IFALIAS, alias.c_str());
    // No IPv6 address at all: the device would otherwise send its own DAD, router solicitations and MLD
    // reports into the tunnel, where they pollute the capture, and accept IPv6 for that address.
    nlattr *afSpec = nla_nest_start(m, IFLA_AF_SPEC);
    // Strict reverse-path filtering: no route points back through this device, so nothing decapsulated
    // from the (unauthenticated) tunnel is accepted into, or forwarded by, this netns's IPv4 stack. Packet
    // capture still sees every frame: packet sockets get it before the routing decision.
    nlattr *inet = nla_nest_start(m, AF_INET);
    nlattr *conf = nla_nest_start(m, IFLA_INET_CONF);
    nla_put_u32(m, IPV4_DEVCONF_RP_FILTER, 1);
    nla_nest_end(m, conf);
    nla_nest_end(m, inet);
    nlattr *inet6 = nla_nest_start(m, AF_INET6);
    nla_put_u8(m, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
    nla_nest_end(m, inet6);
    nla_nest_end(m, afSpec);
    const KernelReply configured = m_socket.request(std::move(configure));
    if (!configured.ok()) {
        return configured;
    }
    NlMsgPtr up = linkMessage(RTM_NEWLINK, 0, ifindex);
    auto *ifi = static_cast<ifinfomsg *>(nlmsg_data(nlmsg_hdr(up.get())));
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return m_socket.request(std::move(up));
}

KernelReply LinkControl::vxlanState(int ifindex, VxlanState &state) const
{
    state = VxlanState {};
    // A dump of every link, filtered here: runs only when a link notification concerned the device.
    NlMsgPtr msg = linkMessage(RTM_GETLINK, NLM_F_DUMP, 0);
    return m_socket.dump(std::move(msg), [&](nlmsghdr *hdr) {
        if (hdr->nlmsg_type != RTM_NEWLINK) {
            return;
        }
        const auto *ifi = static_cast<const ifinfomsg *>(nlmsg_data(hdr));
        if (ifi->ifi_index != ifindex) {
            return;
        }
        state.exists = true;
        state.up = (ifi->ifi_flags & IFF_UP) != 0;
        nlattr *tb[IFLA_MAX + 1] = {};
        if (nlmsg_parse(hdr, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0) {
            return;
        }
        if (tb[IFLA_IFNAME]) {
            state.name = nla_get_string(tb[IFLA_IFNAME]);
        }
        nlattr *info[IFLA_INFO_MAX + 1] = {};
        if (!tb[IFLA_LINKINFO] || nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) < 0) {
            return;
        }
        if (info[IFLA_INFO_KIND]) {
            state.kind = nla_get_string(info[IFLA_INFO_KIND]);
        }
        nlattr *data[IFLA_VXLAN_MAX + 1] = {};
        if (!info[IFLA_INFO_DATA] || nla_parse_nested(data, IFLA_VXLAN_MAX, info[IFLA_INFO_DATA], nullptr) < 0) {
            return;
        }
        const auto address = [&](int attr4, int attr6) {
            char buf[INET6_ADDRSTRLEN] = {};
            if (data[attr4] && nla_len(data[attr4]) == 4) {
                ::inet_ntop(AF_INET, nla_data(data[attr4]), buf, sizeof buf);
            } else if (data[attr6] && nla_len(data[attr6]) == 16) {
                ::inet_ntop(AF_INET6, nla_data(data[attr6]), buf, sizeof buf);
            }
            return std::string(buf);
        };
        state.remote = address(IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6);
        state.local = address(IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6);
        if (data[IFLA_VXLAN_ID]) {
            state.vni = nla_get_u32(data[IFLA_VXLAN_ID]);
        }
        if (data[IFLA_VXLAN_PORT]) {
            state.port = ntohs(nla_get_u16(data[IFLA_VXLAN_PORT]));
        }
        if (data[IFLA_VXLAN_LINK]) {
            state.underlayIfindex = static_cast<int>(nla_get_u32(data[IFLA_VXLAN_LINK]));
        }
    });
}

std::string normalizedIp(const std::string &literal)
{
    int family = 0;
    in6_addr address = {};
    char buf[INET6_ADDRSTRLEN] = {};
    if (literal.empty() || !parseIpLiteral(literal, &family, &address) ||
        !::inet_ntop(family, &address, buf, sizeof buf)) {
        return literal;
    }
    return buf;
}

UniqueFd openLinkMonitor(int netnsFd)
{
    // A plain NETLINK_ROUTE socket in the pod netns that joins RTNLGRP_LINK: every change to a link
    // there (flags, attributes, deletion, a move to another netns) arrives as a notification.
    UniqueFd home;
    if (netnsFd >= 0) {
        home = UniqueFd(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!home.valid() || ::setns(netnsFd, CLONE_NEWNET) != 0) {
            return {};
        }
    }
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
    if (home.valid()) {
        ::setns(home.get(), CLONE_NEWNET);
    }
    if (!fd.valid()) {
        return {};
    }
    sockaddr_nl local = {};
    local.nl_family = AF_NETLINK;
    local.nl_groups = RTMGRP_LINK;
    if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&local), sizeof local) != 0) {
        return {};
    }
    return fd;
}

bool drainLinkMonitor(int fd, const std::vector<int> &ifindexes)
{
    bool concerned = false;
    alignas(nlmsghdr) char buf[16384];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            // ENOBUFS: notifications were lost, so look at the device itself.
            return concerned || errno == ENOBUFS;
        }
        if (n == 0) {
            return concerned;
        }
        int remaining = static_cast<int>(n);
        for (auto *hdr = reinterpret_cast<nlmsghdr *>(buf); NLMSG_OK(hdr, remaining);
             hdr = NLMSG_NEXT(hdr, remaining)) {
            if ((hdr->nlmsg_type == RTM_NEWLINK || hdr->nlmsg_type == RTM_DELLINK) &&
                hdr->nlmsg_len >= NLMSG_LENGTH(sizeof(ifinfomsg)) &&
                std::find(ifindexes.begin(), ifindexes.end(),
                    static_cast<const ifinfomsg *>(NLMSG_DATA(hdr))->ifi_index) != ifindexes.end()) {
                concerned = true;
            }
        }
    }
}

KernelReply LinkControl::remove(int ifindex) const
{
    return m_socket.request(linkMessage(RTM_DELLINK, 0, ifindex));
}

KernelReply LinkControl::setAlias(int ifindex, const std::string &alias) const
{
    NlMsgPtr msg = linkMessage(RTM_NEWLINK, 0, ifindex);
    nla_put_string(msg.get(), IFLA_IFALIAS, alias.c_str());
    return m_socket.request(std::move(msg));
}

int LinkControl::linkWithAddress(const std::string &address) const
{
    int family = 0;
    in6_addr wanted = {};
    if (!parseIpLiteral(address, &family, &wanted)) {
        return 0;
    }
    int found = 0;
    NlMsgPtr msg = newMessage(RTM_GETADDR, NLM_F_DUMP);
    ifaddrmsg ifa = {};
    ifa.ifa_family = static_cast<unsigned char>(family);
    nlmsg_append(msg.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO);
    m_socket.dump(std::move(msg), [&](nlmsghdr *hdr) {
        if (hdr->nlmsg_type != RTM_NEWADDR || found) {
            return;
        }
        const auto *a = static_cast<const ifaddrmsg *>(nlmsg_data(hdr));
        nlattr *tb[IFA_MAX + 1] = {};
        if (a->ifa_family != family || nlmsg_parse(hdr, sizeof(ifaddrmsg), tb, IFA_MAX, nullptr) < 0) {
            return;
        }
        nlattr *attr = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        const int len = family == AF_INET ? 4 : 16;
        if (attr && nla_len(attr) == len && std::memcmp(nla_data(attr), &wanted, static_cast<std::size_t>(len)) == 0) {
            found = static_cast<int>(a->ifa_index);
        }
    });
    return found;
}

std::string LinkControl::addressOf(int ifindex, int family) const
{
    std::string result;
    NlMsgPtr msg = newMessage(RTM_GETADDR, NLM_F_DUMP);
    ifaddrmsg ifa = {};
    ifa.ifa_family = static_cast<unsigned char>(family);
    nlmsg_append(msg.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO);
    m_socket.dump(std::move(msg), [&](nlmsghdr *hdr) {
        const auto *a = static_cast<const ifaddrmsg *>(nlmsg_data(hdr));
        if (hdr->nlmsg_type != RTM_NEWADDR || !result.empty() || static_cast<int>(a->ifa_index) != ifindex ||
            a->ifa_family != family || a->ifa_scope != RT_SCOPE_UNIVERSE) {
            return;
        }
        nlattr *tb[IFA_MAX + 1] = {};
        if (nlmsg_parse(hdr, sizeof(ifaddrmsg), tb, IFA_MAX, nullptr) < 0) {
            return;
        }
        nlattr *attr = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        char buf[INET6_ADDRSTRLEN] = {};
        if (attr && ::inet_ntop(family, nla_data(attr), buf, sizeof buf)) {
            result = buf;
        }
    });
    return result;
}

bool disableIpv6(int netnsFd, const std::string &name)
{
    // /proc/sys/net resolves against the netns of the task that opens the file, so enter the netns only
    // for the open() and come back at once.
    UniqueFd home;
    if (netnsFd >= 0) {
        home = UniqueFd(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!home.valid() || ::setns(netnsFd, CLONE_NEWNET) != 0) {
            return false;
        }
    }
    const std::string path = "/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6";
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (home.valid()) {
        ::setns(home.get(), CLONE_NEWNET);
    }
    return fd.valid() && ::write(fd.get(), "1\n", 2) == 2;
}

std::string localAddressToward(const std::string &remote, std::uint16_t port)
{
    int family = 0;
    in6_addr address = {};
    if (!parseIpLiteral(remote, &family, &address)) {
        return {};
    }
    UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return {};
    }
    sockaddr_storage peer = {};
    socklen_t peerLen = 0;
    if (family == AF_INET) {
        auto *sin = reinterpret_cast<sockaddr_in *>(&peer);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        std::memcpy(&sin->sin_addr, &address, 4);
        peerLen = sizeof(sockaddr_in);
    } else {
        auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&peer);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        std::memcpy(&sin6->sin6_addr, &address, 16);
        peerLen = sizeof(sockaddr_in6);
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&peer), peerLen) != 0) {
        return {};
    }
    sockaddr_storage self = {};
    socklen_t selfLen = sizeof self;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr *>(&self), &selfLen) != 0) {
        return {};
    }
    char buf[INET6_ADDRSTRLEN] = {};
    const void *src = family == AF_INET
        ? static_cast<const void *>(&reinterpret_cast<sockaddr_in *>(&self)->sin_addr)
        : static_cast<const void *>(&reinterpret_cast<sockaddr_in6 *>(&self)->sin6_addr);
    return ::inet_ntop(family, src, buf, sizeof buf) ? std::string(buf) : std::string();
}

} // namespace podtap::agent
