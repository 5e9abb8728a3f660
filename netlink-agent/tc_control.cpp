// SPDX-License-Identifier: Apache-2.0
#include "tc_control.h"

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/gen_stats.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/attr.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace podtap::agent {

namespace {

constexpr unsigned char kCookieMagic[7] = {'p', 'o', 'd', 't', 'a', 'p', 1};

std::uint32_t hookParent(Hook hook)
{
    return TC_H_MAKE(TC_H_CLSACT, hook == Hook::Ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

NlMsgPtr tcMessage(int type, int flags, int ifindex, std::uint32_t parent, std::uint32_t handle, std::uint32_t info)
{
    NlMsgPtr msg = newMessage(type, flags);
    tcmsg tc = {};
    tc.tcm_family = AF_UNSPEC;
    tc.tcm_ifindex = ifindex;
    tc.tcm_parent = parent;
    tc.tcm_handle = handle;
    tc.tcm_info = info;
    nlmsg_append(msg.get(), &tc, sizeof tc, NLMSG_ALIGNTO);
    return msg;
}

void putMirredAction(nl_msg *msg, int actionListAttr, int mirrorIfindex, const PodtapCookie &cookie)
{
    nlattr *list = nla_nest_start(msg, actionListAttr);
    nlattr *first = nla_nest_start(msg, 1); // actions are numbered from 1, in execution order
    nla_put_string(msg, TCA_ACT_KIND, "mirred");
    nlattr *options = nla_nest_start(msg, TCA_ACT_OPTIONS);
    tc_mirred parms = {};
    // Control action "continue" (TC_ACT_UNSPEC), not pipe/ok: the classifier then carries on with the next
    // filter, so the CNI's own filters behind podtap's still run and still decide the packet's fate.
    parms.action = TC_ACT_UNSPEC;
    parms.eaction = TCA_EGRESS_MIRROR;
    parms.ifindex = static_cast<__u32>(mirrorIfindex);
    nla_put(msg, TCA_MIRRED_PARMS, sizeof parms, &parms);
    nla_nest_end(msg, options);
    nla_put(msg, TCA_ACT_COOKIE, static_cast<int>(cookie.size()), cookie.data());
    nla_nest_end(msg, first);
    nla_nest_end(msg, list);
}

void putMatchAll(nl_msg *m)
{
    // One key that matches every packet: (word at offset 0 & 0) == 0. TERMINAL makes the knode's
    // actions run on a match, as `tc filter ... u32 match u32 0 0 action ...` does.
    alignas(tc_u32_sel) unsigned char selector[sizeof(tc_u32_sel) + sizeof(tc_u32_key)] = {};
    tc_u32_sel sel = {};
    sel.flags = TC_U32_TERMINAL;
    sel.nkeys = 1;
    std::memcpy(selector, &sel, sizeof sel); // the single key stays all-zero: mask 0, value 0
    nla_put(m, TCA_U32_SEL, sizeof selector, selector);
}

/// Reads the cookie and counters of the actions in an action list attribute (TCA_U32_ACT, TCA_BPF_ACT).
void readActions(nlattr *list, FilterInfo &info)
{
    nlattr *action = nullptr;
    int remaining = 0;
    nla_for_each_nested(action, list, remaining)
    {
        nlattr *tb[TCA_ACT_MAX + 1] = {};
        if (nla_parse_nested(tb, TCA_ACT_MAX, action, nullptr) < 0) {
            continue;
        }
        if (tb[TCA_ACT_COOKIE] && nla_len(tb[TCA_ACT_COOKIE]) == 16 &&
            std::memcmp(nla_data(tb[TCA_ACT_COOKIE]), kCookieMagic, sizeof kCookieMagic) == 0) {
            info.podtap = true;
            std::memcpy(&info.sessionHash, static_cast<const char *>(nla_data(tb[TCA_ACT_COOKIE])) + 8, 8);
        }
        if (tb[TCA_ACT_STATS]) {
            nlattr *stats[TCA_STATS_MAX + 1] = {};
            if (nla_parse_nested(stats, TCA_STATS_MAX, tb[TCA_ACT_STATS], nullptr) == 0 && stats[TCA_STATS_BASIC] &&
                nla_len(stats[TCA_STATS_BASIC]) >= static_cast<int>(sizeof(gnet_stats_basic))) {
                gnet_stats_basic basic = {};
                std::memcpy(&basic, nla_data(stats[TCA_STATS_BASIC]), sizeof basic);
                info.packets += basic.packets;
                info.bytes += basic.bytes;
            }
        }
    }
}

} // namespace

const char *hookName(Hook hook)
{
    return hook == Hook::Ingress ? "ingress" : "egress";
}

std::uint64_t sessionHash(const std::string &sessionKey)
{
    std::uint64_t hash = 1469598103934665603ULL;
    for (const unsigned char c : sessionKey) {
        hash ^= c;
        hash *= 1099511628211ULL;
    }
    return hash;
}

PodtapCookie podtapCookie(const std::string &sessionKey)
{
    PodtapCookie cookie = {};
    std::memcpy(cookie.data(), kCookieMagic, sizeof kCookieMagic);
    const std::uint64_t hash = sessionHash(sessionKey);
    std::memcpy(cookie.data() + 8, &hash, sizeof hash);
    return cookie;
}

TcControl::TcControl(NetlinkSocket &socket, std::string ifname, int ifindex)
    : m_socket(socket)
    , m_ifname(std::move(ifname))
    , m_ifindex(ifindex)
{
}

std::string TcControl::describe(const std::string &operation) const
{
    return operation + " on " + m_ifname + " (ifindex " + std::to_string(m_ifindex) + ") in netns " +
        m_socket.netnsName();
}

std::vector<QdiscInfo> TcControl::qdiscs() const
{
    std::vector<QdiscInfo> result;
    m_socket.dump(tcMessage(RTM_GETQDISC, NLM_F_DUMP, 0, 0, 0, 0), [&](nlmsghdr *hdr) {
        if (hdr->nlmsg_type != RTM_NEWQDISC) {
            return;
        }
        const auto *tc = static_cast<const tcmsg *>(nlmsg_data(hdr));
        if (m_ifindex > 0 && tc->tcm_ifindex != m_ifindex) {
            return;
        }
        nlattr *tb[TCA_MAX + 1] = {};
        if (nlmsg_parse(hdr, sizeof(tcmsg), tb, TCA_MAX, nullptr) < 0) {
            return;
        }
        QdiscInfo info;
        info.ifindex = tc->tcm_ifindex;
        info.handle = tc->tcm_handle;
        info.parent = tc->tcm_parent;
        if (tb[TCA_KIND]) {
            info.kind = nla_get_string(tb[TCA_KIND]);
        }
        result.push_back(info);
    });
    return result;
}

QdiscInfo TcControl::hookQdisc() const
{
    for (const QdiscInfo &qdisc : qdiscs()) {
        if (qdisc.parent == TC_H_CLSACT || qdisc.kind == "clsact" || qdisc.kind == "ingress") {
            return qdisc;
        }
    }
    return {};
}

KernelReply TcControl::addClsact() const
{
    NlMsgPtr msg =
        tcMessage(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, m_ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0);
    nla_put_string(msg.get(), TCA_KIND, "clsact");
    return m_socket.request(std::move(msg));
}

KernelReply TcControl::deleteClsact() const
{
    NlMsgPtr msg = tcMessage(RTM_DELQDISC, 0, m_ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0);
    nla_put_string(msg.get(), TCA_KIND, "clsact");
    return m_socket.request(std::move(msg));
}

std::vector<FilterInfo> TcControl::filters(Hook hook, KernelReply *reply) const
{
    std::vector<FilterInfo> result;
    const KernelReply answer =
        m_socket.dump(tcMessage(RTM_GETTFILTER, NLM_F_DUMP, m_ifindex, hookParent(hook), 0, 0), [&](nlmsghdr *hdr) {
            if (hdr->nlmsg_type != RTM_NEWTFILTER) {
                return;
            }
            const auto *tc = static_cast<const tcmsg *>(nlmsg_data(hdr));
            nlattr *tb[TCA_MAX + 1] = {};
            if (nlmsg_parse(hdr, sizeof(tcmsg), tb, TCA_MAX, nullptr) < 0) {
                return;
            }
            FilterInfo info;
            info.hook = hook;
            info.prio = TC_H_MAJ(tc->tcm_info) >> 16;
            info.protocol = ntohs(static_cast<std::uint16_t>(TC_H_MIN(tc->tcm_info)));
            info.handle = tc->tcm_handle;
            if (tb[TCA_KIND]) {
                info.kind = nla_get_string(tb[TCA_KIND]);
            }
            if (tb[TCA_OPTIONS]) {
                nlattr *opts[TCA_U32_MAX + TCA_BPF_MAX + 1] = {};
                const int max = info.kind == "u32" ? TCA_U32_MAX : TCA_BPF_MAX;
                const int actAttr = info.kind == "u32" ? TCA_U32_ACT : info.kind == "bpf" ? TCA_BPF_ACT : -1;
                if (actAttr > 0 && nla_parse_nested(opts, max, tb[TCA_OPTIONS], nullptr) == 0 && opts[actAttr]) {
                    readActions(opts[actAttr], info);
                }
            }
            result.push_back(info);
        });
    if (reply) {
        *reply = answer;
    }
    return result;
}

KernelReply TcControl::addMirrorFilter(
    Hook hook, std::uint32_t prio, int mirrorIfindex, const PodtapCookie &cookie, const BpfProgram *bpf) const
{
    NlMsgPtr msg = tcMessage(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, m_ifindex, hookParent(hook), 0,
        TC_H_MAKE(prio << 16, htons(ETH_P_ALL)));
    nl_msg *m = msg.get();
    nla_put_string(m, TCA_KIND, bpf ? "bpf" : "u32");
    nlattr *options = nla_nest_start(m, TCA_OPTIONS);
    if (bpf) {
        nla_put_u16(m, TCA_BPF_OPS_LEN, static_cast<std::uint16_t>(bpf->instructions.size()));
        nla_put(
            m, TCA_BPF_OPS, static_cast<int>(bpf->instructions.size() * sizeof(sock_filter)), bpf->instructions.data());
        putMirredAction(m, TCA_BPF_ACT, mirrorIfindex, cookie);
    } else {
        putMatchAll(m);
        putMirredAction(m, TCA_U32_ACT, mirrorIfindex, cookie);
    }
    nla_nest_end(m, options);
    return m_socket.request(std::move(msg));
}

KernelReply TcControl::addDropAll(Hook hook, std::uint32_t prio) const
{
    // r0 = TC_ACT_SHOT; exit. Built by hand: the agent links no BPF library.
    bpf_insn program[2] = {};
    program[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    program[0].dst_reg = BPF_REG_0;
    program[0].imm = TC_ACT_SHOT;
    program[1].code = BPF_JMP | BPF_EXIT;
    static const char license[] = "Apache-2.0";
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
    attr.insn_cnt = 2;
    attr.insns = reinterpret_cast<std::uint64_t>(program);
    attr.license = reinterpret_cast<std::uint64_t>(license);
    std::strncpy(attr.prog_name, "podtap_drop", sizeof attr.prog_name - 1);
    const UniqueFd fd(static_cast<int>(::syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof attr)));
    if (!fd.valid()) {
        KernelReply reply;
        reply.error = -errno;
        reply.extack = "bpf(BPF_PROG_LOAD) of the 2-instruction drop program; the agent needs CAP_BPF or "
                       "CAP_SYS_ADMIN and a seccomp profile that allows bpf()";
        return reply;
    }
    NlMsgPtr msg = tcMessage(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, m_ifindex, hookParent(hook), 0,
        TC_H_MAKE(prio << 16, htons(ETH_P_ALL)));
    nl_msg *m = msg.get();
    nla_put_string(m, TCA_KIND, "bpf");
    nlattr *options = nla_nest_start(m, TCA_OPTIONS);
    nla_put_u32(m, TCA_BPF_FD, static_cast<std::uint32_t>(fd.get()));
    nla_put_string(m, TCA_BPF_NAME, "podtap_drop");
    nla_put_u32(m, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
    nla_nest_end(m, options);
    // The filter holds its own reference to the program; our fd closes on return.
    return m_socket.request(std::move(msg));
}

KernelReply TcControl::deleteFilters(
    Hook hook, std::uint32_t prio, std::uint16_t protocol, const std::string &kind, std::uint32_t handle) const
{
    NlMsgPtr msg =
        tcMessage(RTM_DELTFILTER, 0, m_ifindex, hookParent(hook), handle, TC_H_MAKE(prio << 16, htons(protocol)));
    if (!kind.empty()) {
        nla_put_string(msg.get(), TCA_KIND, kind.c_str());
    }
    return m_socket.request(std::move(msg));
}

} // namespace podtap::agent
