// SPDX-License-Identifier: Apache-2.0
#include "mirror_session.h"

#include "agent_error.h"
#include "agent_version.h"
#include "heartbeat_file.h"
#include "json_line.h"

#include <fcntl.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <set>

namespace podtap::agent {

namespace {

constexpr std::uint32_t kNoForeignLimit = 0xC000; // the kernel's first automatic priority

/// Milliseconds on CLOCK_BOOTTIME: monotonic, never set, and it keeps counting while the node is suspended.
std::int64_t nowMs()
{
    timespec ts = {};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

AgentError kernelError(const std::string &what, const KernelReply &reply)
{
    return AgentError(ExitKernelRefused, what + ": " + reply.reason());
}

/// The priority for a new podtap filter: below every foreign filter (a matching foreign filter would end
/// classification before podtap's runs) and not used on either hook. u32 lists the filters of both clsact
/// hooks that share a priority in each hook's dump, so distinct priorities keep the counters apart.
std::uint32_t choosePriority(
    const std::vector<FilterInfo> &filters, const std::set<std::uint32_t> &taken, std::uint32_t &foreignLimit)
{
    std::set<std::uint32_t> podtapPrios;
    std::set<std::uint32_t> used = taken;
    for (const FilterInfo &f : filters) {
        used.insert(f.prio);
        if (f.podtap) {
            podtapPrios.insert(f.prio);
        }
    }
    foreignLimit = kNoForeignLimit;
    for (const FilterInfo &f : filters) {
        if (!podtapPrios.count(f.prio)) {
            foreignLimit = std::min(foreignLimit, f.prio);
        }
    }
    for (std::uint32_t prio = foreignLimit - 1; prio >= 1 && prio < foreignLimit; --prio) {
        if (!used.count(prio)) {
            return prio;
        }
    }
    return 0;
}

const std::string kAliasPrefix = "podtap session=";
const std::string kClsactDuty = " clsact=";

bool isPodtapDevice(const LinkInfo &link)
{
    return link.kind == "vxlan" && link.alias.rfind(kAliasPrefix, 0) == 0;
}

bool isSessionDevice(const LinkInfo &link, const std::string &sessionKey)
{
    const std::string alias = deviceAlias(sessionKey);
    return isPodtapDevice(link) && (link.alias == alias || link.alias.rfind(alias + " ", 0) == 0);
}

/// The interfaces named by the " clsact=IFNAME" parts of a device's alias.
std::vector<std::string> clsactDuties(const std::string &alias)
{
    std::vector<std::string> names;
    for (std::size_t at = alias.find(kClsactDuty); at != std::string::npos; at = alias.find(kClsactDuty, at + 1)) {
        const std::size_t start = at + kClsactDuty.size();
        const std::size_t end = alias.find(' ', start);
        names.push_back(alias.substr(start, end == std::string::npos ? std::string::npos : end - start));
    }
    return names;
}

bool hasDuty(const std::string &alias, const std::string &ifname)
{
    const std::vector<std::string> duties = clsactDuties(alias);
    return std::find(duties.begin(), duties.end(), ifname) != duties.end();
}

} // namespace

std::string deviceAlias(const std::string &sessionKey)
{
    // The kernel keeps 255 bytes of alias, and " clsact=IFNAME" duties are appended to it: a long key (a
    // multi-target session's `<session>/<TAG>`) is cut and kept unique by its hash, the same way every time.
    constexpr std::size_t kMaxKeyInAlias = 160;
    if (sessionKey.size() <= kMaxKeyInAlias) {
        return kAliasPrefix + sessionKey;
    }
    char hash[20];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(sessionHash(sessionKey)));
    return kAliasPrefix + sessionKey.substr(0, kMaxKeyInAlias - 17) + "~" + hash;
}

void releaseClsact(const LinkControl &links, const std::string &ifname, const std::set<int> &leaving)
{
    LinkInfo target;
    if (!links.find(ifname, target)) {
        return;
    }
    const TcControl tc(links.socket(), target.name, target.ifindex);
    const auto hooksEmpty = [&] { return tc.filters(Hook::Ingress).empty() && tc.filters(Hook::Egress).empty(); };
    if (!hooksEmpty()) {
        for (const LinkInfo &link : links.all()) {
            if (leaving.count(link.ifindex) || !isPodtapDevice(link)) {
                continue;
            }
            if (!hasDuty(link.alias, ifname)) {
                links.setAlias(link.ifindex, link.alias + kClsactDuty + ifname);
            }
            break;
        }
        if (!hooksEmpty()) {
            return; // the heir ends later, or only foreign filters remain
        }
        // The heir's filters went meanwhile: it may already have looked for its duty.
    }
    const KernelReply reply = tc.deleteClsact();
    if (!reply.ok() && reply.error != -ENOENT && reply.error != -EINVAL) {
        throw kernelError(tc.describe("delete clsact"), reply);
    }
}

int removePodtapFilters(const TcControl &tc, const std::string *sessionKey)
{
    int removed = 0;
    const std::uint64_t wanted = sessionKey ? sessionHash(*sessionKey) : 0;
    for (const Hook hook : {Hook::Ingress, Hook::Egress}) {
        const std::vector<FilterInfo> filters = tc.filters(hook);
        // Group by priority: a priority that holds only our marks is deleted whole (which also drops the
        // u32 hash table the kernel created for it); otherwise only our own entries go.
        std::map<std::uint32_t, std::vector<const FilterInfo *>> byPrio;
        for (const FilterInfo &f : filters) {
            byPrio[f.prio].push_back(&f);
        }
        for (const auto &[prio, entries] : byPrio) {
            std::vector<const FilterInfo *> ours;
            bool foreign = false;
            for (const FilterInfo *f : entries) {
                if (!f->isRule()) {
                    continue;
                }
                if (f->podtap && (!sessionKey || f->sessionHash == wanted)) {
                    ours.push_back(f);
                } else {
                    foreign = true;
                }
            }
            if (ours.empty()) {
                continue;
            }
            const FilterInfo &first = *ours.front();
            if (!foreign) {
                const KernelReply reply = tc.deleteFilters(hook, prio, first.protocol, first.kind);
                if (!reply.ok() && reply.error != -ENOENT) {
                    throw kernelError(tc.describe(std::string("delete podtap filter prio ") + std::to_string(prio) +
                                          " " + hookName(hook)),
                        reply);
                }
                removed += static_cast<int>(ours.size());
                continue;
            }
            for (const FilterInfo *f : ours) {
                const KernelReply reply = tc.deleteFilters(hook, prio, f->protocol, f->kind, f->handle);
                if (!reply.ok() && reply.error != -ENOENT) {
                    throw kernelError(tc.describe(std::string("delete podtap filter prio ") + std::to_string(prio) +
                                          " " + hookName(hook)),
                        reply);
                }
                ++removed;
            }
        }
    }
    return removed;
}

int removePodtapDevices(const LinkControl &links, const std::string *sessionKey)
{
    int removed = 0;
    // All that go are known first: a session has one or two devices, and a duty handed from one to the
    // other right before that one is deleted too would be lost.
    std::vector<LinkInfo> going;
    std::set<int> leaving;
    for (const LinkInfo &link : links.all()) {
        if (isPodtapDevice(link) && (!sessionKey || isSessionDevice(link, *sessionKey))) {
            going.push_back(link);
            leaving.insert(link.ifindex);
        }
    }
    for (const LinkInfo &link : going) {
        for (const std::string &ifname : clsactDuties(link.alias)) {
            releaseClsact(links, ifname, leaving);
        }
        const KernelReply reply = links.remove(link.ifindex);
        if (!reply.ok() && reply.error != -ENODEV) {
            throw kernelError("delete vxlan " + link.name + " (ifindex " + std::to_string(link.ifindex) +
                    ") in netns " + links.socket().netnsName(),
                reply);
        }
        ++removed;
    }
    return removed;
}

MirrorSession::MirrorSession(AgentOptions options, std::string tag)
    : m_options(std::move(options))
    , m_tag(std::move(tag))
{
}

MirrorSession::~MirrorSession()
{
    try {
        teardown();
    } catch (const AgentError &error) {
        say("teardown: " + std::string(error.what()));
    }
}

void MirrorSession::install()
{
    const AgentOptions &o = m_options;
    TargetFinder finder(o.procRoot, o.netnsDir);
    m_target = finder.resolve(o.target);
    m_podNetns = UniqueFd(::open(m_target.netnsPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!m_podNetns.valid()) {
        throw AgentError(
            ExitTargetNotFound, o.target.describe() + ": open " + m_target.netnsPath + ": " + std::strerror(errno));
    }
    m_nodeSocket = std::make_unique<NetlinkSocket>(NetlinkSocket::open(-1, "of the node (the agent's own)"));
    m_podSocket = std::make_unique<NetlinkSocket>(NetlinkSocket::open(m_podNetns.get(), m_target.netnsPath));
    const LinkControl nodeLinks(*m_nodeSocket);
    const LinkControl podLinks(*m_podSocket);

    LinkInfo podIf;
    if (!podLinks.find(o.interface, podIf)) {
        std::string names;
        for (const LinkInfo &link : podLinks.all()) {
            names += (names.empty() ? "" : ", ") + link.name;
        }
        throw AgentError(ExitTargetNotFound,
            "interface " + o.interface + " not found in netns " + m_target.netnsPath + " (it has: " + names +
                "); pick one with --interface");
    }
    m_tc = std::make_unique<TcControl>(*m_podSocket, podIf.name, podIf.ifindex);

    // Underlay: the node device and address the tunnel leaves from.
    int family = AF_INET;
    parseIpLiteral(o.remote, &family);
    std::string local = o.local;
    LinkInfo underlay;
    if (!o.underlayDev.empty()) {
        if (!nodeLinks.find(o.underlayDev, underlay)) {
            throw usageError("--underlay-dev " + o.underlayDev + ": no such device in the node netns");
        }
        local = nodeLinks.addressOf(underlay.ifindex, family);
        if (local.empty()) {
            throw usageError("--underlay-dev " + o.underlayDev + " has no global " +
                (family == AF_INET ? "IPv4" : "IPv6") + " address to send the tunnel from (--remote " + o.remote + ")");
        }
    } else {
        if (local.empty()) {
            local = localAddressToward(o.remote, o.port);
            if (local.empty()) {
                throw AgentError(ExitKernelRefused,
                    "find a route to --remote " + o.remote + " in the node netns: " + std::strerror(errno) +
                        "; give --local or --underlay-dev");
            }
        }
        const int ifindex = nodeLinks.linkWithAddress(local);
        if (ifindex == 0 && !o.local.empty()) {
            throw usageError("--local " + o.local + " is not an address in the node netns");
        }
        if (ifindex > 0) {
            nodeLinks.find(ifindex, underlay);
        }
    }

    // Leftovers of this same session (an agent killed with -9 and restarted): other sessions are kept.
    const std::string key = o.sessionKey();
    int stale = removePodtapFilters(*m_tc, &key) + removePodtapDevices(podLinks, &key);
    for (const std::string &name : {o.name, o.egressName}) {
        LinkInfo halfMade;
        if (!name.empty() && podLinks.find(name, halfMade) && halfMade.kind == "vxlan" && halfMade.alias.empty() &&
            !halfMade.up) {
            // Created but never marked and brought up: an agent killed between those two steps.
            podLinks.remove(halfMade.ifindex);
            ++stale;
        }
    }
    if (stale > 0) {
        say("removed " + std::to_string(stale) + " leftover(s) of session " + key + " from netns " +
            m_target.netnsPath);
    }

    VxlanSpec spec;
    spec.port = o.port;
    spec.remote = o.remote;
    spec.local = local;
    spec.underlayIfindex = o.underlayDev.empty() ? 0 : underlay.ifindex;
    spec.targetNetnsFd = m_podNetns.get();
    createTunnel(o.name, o.vni, spec, key);
    if (o.egressVni != 0) {
        createTunnel(o.egressName, o.egressVni, spec, key);
    }

    const unsigned overhead = family == AF_INET6 ? 70 : 50;
    if (underlay.mtu > 0 && podIf.mtu + overhead > underlay.mtu) {
        emit("warning",
            JsonLine()
                .add("code", "mtu")
                .add("message",
                    "pod MTU " + std::to_string(podIf.mtu) + " + " + std::to_string(overhead) +
                        " bytes of VXLAN overhead exceeds underlay " + underlay.name + " MTU " +
                        std::to_string(underlay.mtu) +
                        ": every full-size mirrored frame is sent as two IP fragments, which slows the pod")
                .add("pod_mtu", podIf.mtu)
                .add("underlay_mtu", underlay.mtu)
                .add("overhead", overhead)
                .add("underlay_dev", underlay.name));
    }

    const QdiscInfo hookQdisc = m_tc->hookQdisc();
    if (hookQdisc.kind.empty()) {
        addClsact();
    } else if (hookQdisc.kind == "ingress" && o.egress) {
        throw AgentError(ExitKernelRefused,
            m_tc->describe("use the egress hook") +
                ": the interface has an ingress qdisc (no egress hook) and podtap never replaces another "
                "tool's qdisc; use --direction ingress");
    }

    const PodtapCookie cookie = podtapCookie(key);
    for (const Hook hook : {Hook::Ingress, Hook::Egress}) {
        if ((hook == Hook::Ingress && o.ingress) || (hook == Hook::Egress && o.egress)) {
            addFilter(hook, cookie);
        }
    }
    settlePriorityClashes(cookie);

    std::string priorities = "{";
    for (const AddedFilter &f : m_filters) {
        priorities +=
            std::string(priorities.size() > 1 ? "," : "") + jsonQuote(hookName(f.hook)) + ":" + std::to_string(f.prio);
    }
    priorities += "}";
    JsonLine ready;
    ready.add("device", o.name)
        .add("vni", o.vni)
        .add("ifindex", m_tunnels.front().ifindex)
        .add("hooks", o.hooks())
        .add("interface", podIf.name)
        .add("netns", m_target.netnsPath)
        .add("pid", m_target.pid)
        .add("remote", o.remote)
        .add("local", local)
        .add("port", static_cast<unsigned>(o.port))
        .add("underlay_dev", underlay.name)
        .add("filter", o.bpf ? "bpf" : "u32")
        .addRaw("priorities", priorities)
        .add("session", key)
        .add("clsact_added", m_addedClsact)
        .add("version", kAgentVersion)
        .add("contract", kAgentContract);
    if (m_tunnels.size() > 1) {
        ready.add("egress_device", m_tunnels[1].name)
            .add("egress_vni", m_tunnels[1].vni)
            .add("egress_ifindex", m_tunnels[1].ifindex);
    }
    emit("ready", std::move(ready));
}

void MirrorSession::createTunnel(
    const std::string &name, std::uint32_t vni, const VxlanSpec &common, const std::string &key)
{
    const AgentOptions &o = m_options;
    const LinkControl nodeLinks(*m_nodeSocket);
    const LinkControl podLinks(*m_podSocket);
    VxlanSpec spec = common;
    spec.name = name;
    spec.vni = vni;
    KernelReply reply = nodeLinks.createVxlan(spec);
    if (!reply.ok()) {
        std::string hint;
        if (reply.error == -EEXIST) {
            hint = " (a device " + name +
                " already exists in the pod netns, or another VXLAN device in the node "
                "netns already uses VNI " +
                std::to_string(vni) + " on port " + std::to_string(o.port) + "; choose another " +
                (name == o.name ? "--name/--vni" : "--egress-name/--egress-vni") + ")";
        }
        throw AgentError(ExitKernelRefused,
            "create vxlan " + name + " (vni " + std::to_string(vni) + ", local " + spec.local + ", remote " + o.remote +
                ", dstport " + std::to_string(o.port) + ") in netns " + m_target.netnsPath + ": " + reply.reason() +
                hint);
    }
    LinkInfo vxlan;
    if (!podLinks.find(name, vxlan)) {
        throw AgentError(ExitKernelRefused,
            "find the new vxlan " + name + " in netns " + m_target.netnsPath + ": it vanished right after creation");
    }
    Tunnel tunnel;
    tunnel.name = name;
    tunnel.vni = vni;
    tunnel.ifindex = vxlan.ifindex;
    tunnel.expected.exists = true;
    tunnel.expected.up = true;
    tunnel.expected.kind = "vxlan";
    tunnel.expected.vni = vni;
    tunnel.expected.remote = normalizedIp(o.remote);
    tunnel.expected.local = normalizedIp(spec.local);
    tunnel.expected.port = o.port;
    tunnel.expected.underlayIfindex = spec.underlayIfindex;
    m_tunnels.push_back(tunnel);
    // Watch the devices from now on: a pod with NET_ADMIN can change them in its own netns.
    if (!m_linkMonitor.valid()) {
        m_linkMonitor = openLinkMonitor(m_podNetns.get());
    }
    if (!m_linkMonitor.valid()) {
        throw AgentError(
            ExitKernelRefused, "watch link notifications in netns " + m_target.netnsPath + ": " + std::strerror(errno));
    }
    // Best effort (needs a writable /proc/sys); the drop below and addrgenmode none do not depend on it.
    disableIpv6(m_podNetns.get(), name);
    // The device decapsulates whatever reaches the node's tunnel port with this VNI, from anyone: nothing it
    // receives may reach the pod's stack (that would bypass NetworkPolicy), so its ingress drops everything
    // before it goes up. Capture on the device itself still sees those frames (packet taps run first).
    const TcControl deviceTc(*m_podSocket, name, vxlan.ifindex);
    reply = deviceTc.addClsact();
    if (reply.ok()) {
        reply = deviceTc.addDropAll(Hook::Ingress, 1);
    }
    if (!reply.ok()) {
        throw kernelError(
            deviceTc.describe("drop everything the tunnel device receives (clsact + bpf on ingress)"), reply);
    }
    reply = podLinks.finishAndUp(vxlan.ifindex, deviceAlias(key));
    if (!reply.ok()) {
        throw kernelError("mark and bring up vxlan " + name + " in netns " + m_target.netnsPath, reply);
    }
}

const MirrorSession::Tunnel &MirrorSession::tunnelFor(Hook hook) const
{
    return hook == Hook::Egress && m_tunnels.size() > 1 ? m_tunnels[1] : m_tunnels.front();
}

std::vector<int> MirrorSession::tunnelIfindexes() const
{
    std::vector<int> ifindexes;
    for (const Tunnel &tunnel : m_tunnels) {
        ifindexes.push_back(tunnel.ifindex);
    }
    return ifindexes;
}

void MirrorSession::addClsact()
{
    const KernelReply reply = m_tc->addClsact();
    if (!reply.ok() && reply.error != -EEXIST) {
        throw kernelError(m_tc->describe("add clsact"), reply);
    }
    if (reply.ok()) {
        // The duty to remove it is written on our device, where a later session can take it over.
        m_addedClsact = true;
        LinkControl(*m_podSocket)
            .setAlias(m_tunnels.front().ifindex, deviceAlias(m_options.sessionKey()) + kClsactDuty + m_tc->ifname());
    }
}

void MirrorSession::addFilter(Hook hook, const PodtapCookie &cookie)
{
    const AgentOptions &o = m_options;
    const Tunnel &tunnel = tunnelFor(hook);
    const int vxlanIfindex = tunnel.ifindex;
    const std::vector<FilterInfo> onHook = m_tc->filters(hook);
    std::set<std::uint32_t> taken;
    for (const FilterInfo &f : m_tc->filters(hook == Hook::Ingress ? Hook::Egress : Hook::Ingress)) {
        taken.insert(f.prio);
    }
    std::uint32_t foreignLimit = 0;
    const std::uint32_t prio = choosePriority(onHook, taken, foreignLimit);
    if (prio == 0) {
        throw AgentError(ExitKernelRefused,
            m_tc->describe(std::string("add podtap filter on ") + hookName(hook)) +
                ": no free priority below the first foreign filter (prio " + std::to_string(foreignLimit) +
                "), so podtap's filter could not run first");
    }
    KernelReply reply = m_tc->addMirrorFilter(hook, prio, vxlanIfindex, cookie, o.bpf ? &*o.bpf : nullptr);
    if (!reply.ok() && m_tc->hookQdisc().kind.empty()) {
        // The session that had added clsact ended between our look and our filter, and removed it.
        addClsact();
        reply = m_tc->addMirrorFilter(hook, prio, vxlanIfindex, cookie, o.bpf ? &*o.bpf : nullptr);
    }
    if (!reply.ok()) {
        throw kernelError(m_tc->describe(std::string("add ") + (o.bpf ? "bpf" : "u32") + " filter prio " +
                              std::to_string(prio) + " " + hookName(hook) + " with mirred to " + tunnel.name),
            reply);
    }
    m_filters.push_back({hook, prio, o.bpf ? "bpf" : "u32"});
}

std::vector<MirrorSession::Clash> MirrorSession::clashingFilters(bool *othersMove) const
{
    // u32 keeps one set of hash tables per qdisc, and each hook's dump lists every table of its priority:
    // two agents that chose at the same moment can take one priority on opposite hooks, and then each sees
    // the other's filter, and a teardown by handle would leave an empty u32 behind (which keeps clsact).
    // Such a filter lives in another table (another htid) than ours; one in our own table is a filter
    // on the same hook, which classifies correctly and is removed correctly.
    const std::uint64_t wanted = sessionHash(m_options.sessionKey());
    std::vector<Clash> clashing;
    *othersMove = true;
    for (const AddedFilter &added : m_filters) {
        if (added.kind != "u32") {
            continue; // cls_bpf dumps its own filters only
        }
        const std::vector<FilterInfo> filters = m_tc->filters(added.hook);
        Clash ours {added};
        for (const FilterInfo &f : filters) {
            if (f.prio == added.prio && f.isRule() && f.podtap && f.sessionHash == wanted) {
                ours.handle = f.handle;
            }
        }
        const std::uint32_t ourTable = ours.handle & 0xfff00000u;
        bool clash = false;
        for (const FilterInfo &f : filters) {
            if (f.prio != added.prio || !f.isRule() || (f.podtap && f.sessionHash == wanted)) {
                continue;
            }
            if ((f.handle & 0xfff00000u) == ourTable) {
                ours.sharedTable = true;
                continue;
            }
            clash = true;
            // The session with the lower hash keeps the priority; another tool's filter always stays.
            *othersMove = *othersMove && f.podtap && f.sessionHash > wanted;
        }
        if (clash) {
            clashing.push_back(ours);
        }
    }
    return clashing;
}

void MirrorSession::settlePriorityClashes(const PodtapCookie &cookie)
{
    constexpr int kAttempts = 20;
    constexpr int kWaitsForOthers = 8;
    const std::uint64_t wanted = sessionHash(m_options.sessionKey());
    int waits = 0;
    for (int attempt = 0;; ++attempt) {
        bool othersMove = false;
        const std::vector<Clash> clashing = clashingFilters(&othersMove);
        if (clashing.empty()) {
            return;
        }
        if (attempt == kAttempts) {
            throw AgentError(ExitKernelRefused,
                m_tc->describe(std::string("add podtap filter prio ") + std::to_string(clashing.front().filter.prio) +
                    " " + hookName(clashing.front().filter.hook)) +
                    ": another filter takes the same priority on the other hook at every try; stop the other "
                    "podtap sessions on this pod (`podtapctl list`) and tap again");
        }
        if (othersMove && waits < kWaitsForOthers) {
            ++waits;
            ::poll(nullptr, 0, 25);
            continue;
        }
        for (const auto &[moving, handle, sharedTable] : clashing) {
            const std::string filter = std::string(hookName(moving.hook)) + " filter";
            say("another session took priority " + std::to_string(moving.prio) +
                " on the other hook at the same moment; moving the " + filter);
            // Deleting the whole priority on our hook drops our filter and its table and leaves the other
            // hook's filter alone; a table shared with a session on our own hook keeps its table.
            const KernelReply reply =
                m_tc->deleteFilters(moving.hook, moving.prio, ETH_P_ALL, moving.kind, sharedTable ? handle : 0);
            if (!reply.ok() && reply.error != -ENOENT) {
                throw kernelError(m_tc->describe(std::string("move podtap filter off prio ") +
                                      std::to_string(moving.prio) + " " + hookName(moving.hook)),
                    reply);
            }
            std::erase_if(
                m_filters, [&](const AddedFilter &f) { return f.hook == moving.hook && f.prio == moving.prio; });
        }
        // A pause that differs between sessions, so two movers do not choose from one snapshot again.
        ::poll(nullptr, 0, static_cast<int>(1 + (wanted + static_cast<std::uint64_t>(attempt)) % 17));
        for (const Clash &clash : clashing) {
            addFilter(clash.filter.hook, cookie);
        }
        waits = 0;
    }
}

void MirrorSession::teardown()
{
    if (m_tornDown || !m_tc) {
        m_tornDown = true;
        return;
    }
    m_tornDown = true;
    std::string firstError;
    const std::string key = m_options.sessionKey();
    try {
        removePodtapFilters(*m_tc, &key);
    } catch (const AgentError &error) {
        firstError = error.what();
    }
    const LinkControl podLinks(*m_podSocket);
    if (!m_tunnels.empty()) {
        // Only a clsact podtap added (this session, or an ended one that passed the duty on to either of
        // our devices), and only once nobody else has a filter on it.
        const std::vector<int> ifindexes = tunnelIfindexes();
        const std::set<int> leaving(ifindexes.begin(), ifindexes.end());
        std::vector<std::string> duties;
        for (const Tunnel &tunnel : m_tunnels) {
            LinkInfo own;
            if (podLinks.find(tunnel.ifindex, own)) {
                for (const std::string &ifname : clsactDuties(own.alias)) {
                    if (std::find(duties.begin(), duties.end(), ifname) == duties.end()) {
                        duties.push_back(ifname);
                    }
                }
            }
        }
        if (m_addedClsact && std::find(duties.begin(), duties.end(), m_tc->ifname()) == duties.end()) {
            duties.push_back(m_tc->ifname());
        }
        for (const std::string &ifname : duties) {
            try {
                releaseClsact(podLinks, ifname, leaving);
            } catch (const AgentError &error) {
                if (firstError.empty()) {
                    firstError = error.what();
                }
            }
        }
        for (const Tunnel &tunnel : m_tunnels) {
            const KernelReply reply = podLinks.remove(tunnel.ifindex);
            if (!reply.ok() && reply.error != -ENODEV && firstError.empty()) {
                firstError = "delete vxlan " + tunnel.name + " (ifindex " + std::to_string(tunnel.ifindex) +
                    ") in netns " + m_target.netnsPath + ": " + reply.reason();
            }
        }
    }
    if (!firstError.empty()) {
        throw AgentError(ExitKernelRefused, firstError);
    }
}

void MirrorSession::addCounters(JsonLine &line) const
{
    std::uint64_t packets[2] = {0, 0};
    std::uint64_t bytes[2] = {0, 0};
    const std::uint64_t wanted = sessionHash(m_options.sessionKey());
    for (const AddedFilter &added : m_filters) {
        for (const FilterInfo &f : m_tc->filters(added.hook)) {
            if (f.podtap && f.sessionHash == wanted) {
                packets[added.hook == Hook::Egress] += f.packets;
                bytes[added.hook == Hook::Egress] += f.bytes;
            }
        }
    }
    // The tunnel's drops: of both devices when each hook has its own.
    std::uint64_t txErrors = 0;
    std::uint64_t txDropped = 0;
    for (const Tunnel &tunnel : m_tunnels) {
        LinkInfo vxlan;
        if (LinkControl(*m_podSocket).find(tunnel.ifindex, vxlan)) {
            txErrors += vxlan.txErrors;
            txDropped += vxlan.txDropped;
        }
    }
    line.add("ingress_packets", packets[0])
        .add("ingress_bytes", bytes[0])
        .add("egress_packets", packets[1])
        .add("egress_bytes", bytes[1])
        .add("packets", packets[0] + packets[1])
        .add("bytes", bytes[0] + bytes[1])
        .add("tx_errors", txErrors)
        .add("tx_dropped", txDropped);
}

void MirrorSession::emitStats()
{
    JsonLine line;
    line.add("device", m_options.name);
    if (m_tunnels.size() > 1) {
        line.add("egress_device", m_tunnels[1].name);
    }
    addCounters(line);
    emit("stats", std::move(line));
}

std::string MirrorSession::deviceChange() const
{
    for (const Tunnel &tunnel : m_tunnels) {
        if (std::string change = deviceChange(tunnel); !change.empty()) {
            return change;
        }
    }
    return {};
}

std::string MirrorSession::deviceChange(const Tunnel &tunnel) const
{
    const VxlanState &expected = tunnel.expected;
    VxlanState now;
    const KernelReply reply = LinkControl(*m_podSocket).vxlanState(tunnel.ifindex, now);
    const std::string device = "the VXLAN device " + tunnel.name + " (ifindex " + std::to_string(tunnel.ifindex) +
        ") in netns " + m_target.netnsPath;
    if (!now.exists) {
        return device + " was deleted or moved out of the netns" + (reply.ok() ? "" : " (" + reply.reason() + ")");
    }
    std::string changes;
    const auto differs = [&changes](const std::string &what, const std::string &was, const std::string &is) {
        if (was != is) {
            changes += (changes.empty() ? "" : ", ") + what + " " + (was.empty() ? "none" : was) + " -> " +
                (is.empty() ? "none" : is);
        }
    };
    differs("kind", expected.kind, now.kind);
    differs("vni", std::to_string(expected.vni), std::to_string(now.vni));
    differs("remote", expected.remote, now.remote);
    differs("local", expected.local, now.local);
    differs("port", std::to_string(expected.port), std::to_string(now.port));
    if (expected.underlayIfindex > 0) {
        differs("underlay ifindex", std::to_string(expected.underlayIfindex), std::to_string(now.underlayIfindex));
    }
    if (!now.up) {
        changes += std::string(changes.empty() ? "" : ", ") + "set down";
    }
    return changes.empty() ? std::string() : device + " was changed under the agent: " + changes;
}

std::string MirrorSession::waitForStop()
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    UniqueFd sigfd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigfd.valid()) {
        throw AgentError(ExitFailure, std::string("signalfd: ") + std::strerror(errno));
    }
    const TargetFinder finder(m_options.procRoot, m_options.netnsDir);
    const HeartbeatFile heartbeat(m_options.heartbeatFile);
    const std::int64_t startMs = nowMs();
    // The heartbeat is a token, not a time: only a change of it counts, timed here. The value present at the
    // start, and a missing or unreadable file, count from the agent's start, so a console gets one timeout.
    std::optional<std::string> lastBeat = m_options.heartbeatFile.empty() ? std::nullopt : heartbeat.read();
    std::int64_t lastBeatChangeMs = startMs;
    std::int64_t nextStats = m_options.statsInterval > 0 ? startMs + m_options.statsInterval * 1000LL : -1;
    std::int64_t nextCheck = startMs + 1000;
    bool checkDevice = true; // once at the start: a change before the watch began
    for (;;) {
        if (checkDevice) {
            checkDevice = false;
            m_deviceChange = deviceChange();
            if (!m_deviceChange.empty()) {
                note(m_deviceChange + ", tearing down");
                return "device-changed";
            }
        }
        const std::int64_t now = nowMs();
        std::int64_t wakeAt = nextCheck;
        if (nextStats >= 0) {
            wakeAt = std::min(wakeAt, nextStats);
        }
        pollfd pfds[2] = {{sigfd.get(), POLLIN, 0}, {m_linkMonitor.get(), POLLIN, 0}};
        const int ready = ::poll(pfds, 2, static_cast<int>(std::max<std::int64_t>(0, wakeAt - now)));
        if (ready > 0 && (pfds[0].revents & POLLIN)) {
            signalfd_siginfo info = {};
            if (::read(sigfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
                note(std::string("received ") + ::strsignal(static_cast<int>(info.ssi_signo)) + ", tearing down");
                return "signal";
            }
        }
        if (ready > 0 && pfds[1].revents != 0) {
            checkDevice = drainLinkMonitor(m_linkMonitor.get(), tunnelIfindexes());
            if (checkDevice) {
                continue;
            }
        }
        const std::int64_t after = nowMs();
        if (nextStats >= 0 && after >= nextStats) {
            emitStats();
            nextStats += m_options.statsInterval * 1000LL;
        }
        if (after >= nextCheck) {
            nextCheck = after + 1000;
            if (!finder.stillPresent(m_options.target, m_target)) {
                note(m_options.target.describe() + " is gone (no process left in netns " + m_target.netnsPath +
                    "), tearing down");
                return "target-gone";
            }
            if (!m_options.heartbeatFile.empty()) {
                const std::optional<std::string> beat = heartbeat.read();
                if (beat && beat != lastBeat) {
                    lastBeat = beat;
                    lastBeatChangeMs = after;
                }
                const std::int64_t silentMs = after - lastBeatChangeMs;
                if (silentMs >= m_options.heartbeatTimeout * 1000LL) {
                    note("heartbeat in " + m_options.heartbeatFile + " has not changed for " +
                        std::to_string(silentMs / 1000) + " s (timeout " + std::to_string(m_options.heartbeatTimeout) +
                        " s): the console is gone, tearing down");
                    return "heartbeat";
                }
            }
            if (m_options.deadline > 0 && after - startMs >= m_options.deadline * 1000LL) {
                return "deadline";
            }
        }
    }
}

void MirrorSession::say(const std::string &text) const
{
    note(m_tag.empty() ? text : "target " + m_tag + ": " + text);
}

void MirrorSession::emit(const std::string &event, JsonLine fields) const
{
    if (m_tag.empty()) {
        emitEvent(event, std::move(fields));
        return;
    }
    emitEvent(event, JsonLine().add("target", m_tag).append(fields));
}

void MirrorSession::start()
{
    try {
        install();
    } catch (...) {
        try {
            teardown();
        } catch (const AgentError &error) {
            say("teardown after a failed start: " + std::string(error.what()));
        }
        throw;
    }
}

std::string MirrorSession::onLinkNotification()
{
    if (!drainLinkMonitor(m_linkMonitor.get(), tunnelIfindexes())) {
        return {};
    }
    m_checkDevice = false;
    m_deviceChange = deviceChange();
    if (m_deviceChange.empty()) {
        return {};
    }
    say(m_deviceChange + ", tearing down");
    return "device-changed";
}

std::string MirrorSession::checkTarget()
{
    if (m_checkDevice) {
        m_checkDevice = false;
        m_deviceChange = deviceChange();
        if (!m_deviceChange.empty()) {
            say(m_deviceChange + ", tearing down");
            return "device-changed";
        }
    }
    if (!TargetFinder(m_options.procRoot, m_options.netnsDir).stillPresent(m_options.target, m_target)) {
        say(m_options.target.describe() + " is gone (no process left in netns " + m_target.netnsPath +
            "), tearing down");
        return "target-gone";
    }
    return {};
}

int MirrorSession::run()
{
    start();
    finish(waitForStop());
    return ExitOk;
}

void MirrorSession::finish(const std::string &reason)
{
    if (reason == "device-changed") {
        // Reported as an error the console shows, but the agent still ends normally (exit 0): with
        // restartPolicy OnFailure a failure exit would put the mirror back into a pod that tampers with it.
        emit("error",
            JsonLine().add("code", "device-changed").add("message", m_deviceChange + "; the tap was torn down"));
    }
    // The final counters, read before the filters go (they take their counters with them); nothing is
    // mirrored after a stop signal but the few packets in flight between this read and the deletion.
    JsonLine stopped;
    stopped.add("reason", reason).add("device", m_options.name);
    if (m_tunnels.size() > 1) {
        stopped.add("egress_device", m_tunnels[1].name);
    }
    addCounters(stopped);
    if (m_tag.empty()) {
        teardown();
    } else {
        try {
            teardown();
        } catch (const AgentError &error) {
            // One target's failed teardown must not keep the others from ending: say what is left, go on.
            emit("error", JsonLine().add("code", "teardown").add("message", error.what()));
        }
    }
    emit("stopped", std::move(stopped));
}

} // namespace podtap::agent
