// SPDX-License-Identifier: Apache-2.0
#include "stream_session.h"

#include "agent_error.h"
#include "agent_version.h"
#include "pcapng/pcapng_blocks.h"
#include "stop_rules.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace podtap::agent {

namespace {

/// The ring: 8 blocks of 1 MiB. A block holds at least one frame of the largest snaplen; 8 MiB absorb a few
/// milliseconds of a saturated link while stdout is busy, and stay well inside the agent pod's memory limit.
constexpr std::uint32_t kBlockSize = 1u << 20;
constexpr std::uint32_t kBlockCount = 8;
/// tpacket_req3.tp_frame_size: only a unit of accounting for TPACKET_V3, which packs frames of any size.
constexpr std::uint32_t kFrameSize = 2048;
/// A block that is not full is handed to userspace after this many milliseconds, so a trickle of
/// frames is not held back.
constexpr unsigned kBlockRetireMs = 20;
/// The userspace buffer of whole pcapng blocks between the ring and stdout: bounded.
constexpr std::size_t kOutBytes = 2u << 20;
/// The bytes a VLAN tag takes when it is put back into a frame.
constexpr std::uint32_t kVlanTagBytes = 4;

AgentError kernelError(const std::string &what)
{
    return AgentError(ExitKernelRefused, what + ": " + std::strerror(errno));
}

bool watchable(int fd)
{
    struct stat st = {};
    return ::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

} // namespace

StreamSession::StreamSession(AgentOptions options)
    : m_options(std::move(options))
{
}

StreamSession::~StreamSession()
{
    if (m_ring) {
        ::munmap(m_ring, m_ringBytes);
    }
    if (m_stdoutFlags >= 0) {
        ::fcntl(STDOUT_FILENO, F_SETFL, m_stdoutFlags);
    }
}

std::vector<sock_filter> StreamSession::socketFilter(const AgentOptions &options)
{
    std::vector<sock_filter> program;
    if (options.ingress != options.egress) {
        // Load the packet type (an ancillary load), and return 0 (drop) for the unwanted direction.
        program.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<__u32>(SKF_AD_OFF + SKF_AD_PKTTYPE)));
        // jeq #PACKET_OUTGOING: egress-only keeps it (jump over the drop), ingress-only drops it.
        const __u8 keep = options.egress ? 1 : 0;
        program.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, keep, static_cast<__u8>(1 - keep)));
        program.push_back(BPF_STMT(BPF_RET | BPF_K, 0));
    }
    if (options.bpf) {
        program.insert(program.end(), options.bpf->instructions.begin(), options.bpf->instructions.end());
    } else {
        program.push_back(BPF_STMT(BPF_RET | BPF_K, options.snaplen));
    }
    if (program.size() > BPF_MAXINSNS) {
        // The direction test does not fit in front of a program of the maximum size: filter the direction
        // in userspace instead.
        program.erase(program.begin(), program.begin() + 3);
    }
    return program;
}

void StreamSession::open()
{
    const AgentOptions &o = m_options;
    if (::isatty(STDOUT_FILENO)) {
        throw usageError("stream writes pcapng to stdout, which is a terminal: redirect it to a file or pipe it "
                         "into a reader (e.g. `| tshark -r -`)");
    }
    m_target = TargetFinder(o.procRoot, o.netnsDir).resolve(o.target);
    const UniqueFd netns(::open(m_target.netnsPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns.valid()) {
        throw AgentError(
            ExitTargetNotFound, o.target.describe() + ": open " + m_target.netnsPath + ": " + std::strerror(errno));
    }
    // A socket belongs to the netns it was created in: enter the target's just for socket() and come back.
    // Protocol 0: the kernel hands this socket nothing until bind() names a protocol, so the filter and the
    // ring below are in place before the first frame can arrive.
    const UniqueFd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!home.valid()) {
        throw kernelError("open /proc/self/ns/net to remember the agent's netns");
    }
    if (::setns(netns.get(), CLONE_NEWNET) != 0) {
        throw AgentError(ExitKernelRefused,
            "enter netns " + m_target.netnsPath + ": " + std::strerror(errno) + " (the agent needs CAP_SYS_ADMIN)");
    }
    m_socket = UniqueFd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    const int socketErrno = errno;
    if (::setns(home.get(), CLONE_NEWNET) != 0) {
        throw kernelError("return to the agent's netns");
    }
    if (!m_socket.valid()) {
        errno = socketErrno;
        throw kernelError("open an AF_PACKET socket in netns " + m_target.netnsPath + " (the agent needs CAP_NET_RAW)");
    }
    const int fd = m_socket.get();
    const std::string where = o.interface + " in netns " + m_target.netnsPath;

    ifreq request = {};
    std::strncpy(request.ifr_name, o.interface.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd, SIOCGIFINDEX, &request) != 0) {
        throw AgentError(ExitTargetNotFound,
            "interface " + where + ": " + std::strerror(errno) + " (see `podtap-agent inspect` for its links)");
    }
    m_ifindex = request.ifr_ifindex;
    if (::ioctl(fd, SIOCGIFMTU, &request) == 0) {
        m_mtu = request.ifr_mtu;
    }
    if (::ioctl(fd, SIOCGIFHWADDR, &request) != 0) {
        throw kernelError("read the link type of " + where);
    }
    switch (request.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
        m_linktype = pcapng::kLinktypeEthernet;
        break;
    case ARPHRD_NONE:
        m_linktype = 101; // LINKTYPE_RAW: IP packets without a link header (e.g. a WireGuard or tun device)
        break;
    default:
        throw AgentError(ExitKernelRefused,
            "interface " + where + " has link type " + std::to_string(request.ifr_hwaddr.sa_family) +
                ", which stream cannot write as pcapng; capture an Ethernet interface instead");
    }

    const int version = TPACKET_V3;
    if (::setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) {
        throw kernelError("set TPACKET_V3 on the capture socket for " + where);
    }
    std::vector<sock_filter> program = socketFilter(o);
    sock_fprog fprog = {static_cast<unsigned short>(program.size()), program.data()};
    if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) {
        throw kernelError("attach the capture filter (" + std::to_string(program.size()) + " instructions) for " +
            where + "; check --bpf");
    }
    tpacket_req3 ring = {};
    ring.tp_block_size = kBlockSize;
    ring.tp_block_nr = kBlockCount;
    ring.tp_frame_size = kFrameSize;
    ring.tp_frame_nr = kBlockSize / kFrameSize * kBlockCount;
    ring.tp_retire_blk_tov = kBlockRetireMs;
    if (::setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &ring, sizeof ring) != 0) {
        throw kernelError("set up the capture ring (" + std::to_string(kBlockCount) + " blocks of " +
            std::to_string(kBlockSize) + " bytes) for " + where);
    }
    m_blockSize = kBlockSize;
    m_blockCount = kBlockCount;
    m_ringBytes = static_cast<std::size_t>(kBlockSize) * kBlockCount;
    void *map = ::mmap(nullptr, m_ringBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        throw kernelError("map the capture ring for " + where);
    }
    m_ring = static_cast<std::uint8_t *>(map);

    m_out.resize(kOutBytes);
    m_scratch.resize(pcapng::kMaxSnaplen + kVlanTagBytes);
    // The section and the interface go first, before any packet can.
    pcapng::InterfaceDescription idb;
    idb.linktype = m_linktype;
    idb.snaplen = o.snaplen;
    idb.name = o.ifName;
    idb.description = "podtap-agent stream of " + where;
    const std::string header = pcapng::sectionHeaderBlock(std::string("podtap-agent ") + kAgentVersion) +
        pcapng::interfaceDescriptionBlock(idb);
    std::memcpy(m_out.data(), header.data(), header.size());
    m_outTail = header.size();

    sockaddr_ll address = {};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = m_ifindex;
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0) {
        throw kernelError("bind the capture socket to " + where);
    }
    // Counters start now: PACKET_STATISTICS resets on every read.
    tpacket_stats_v3 stats = {};
    socklen_t length = sizeof stats;
    ::getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &stats, &length);

    if (watchable(STDOUT_FILENO)) {
        // Non-blocking, so a slow reader never stalls the stop conditions: the ring absorbs, then drops.
        m_stdoutFlags = ::fcntl(STDOUT_FILENO, F_GETFL);
        if (m_stdoutFlags >= 0) {
            ::fcntl(STDOUT_FILENO, F_SETFL, m_stdoutFlags | O_NONBLOCK);
        }
    }
}

bool StreamSession::appendFrame(const tpacket3_hdr *frame)
{
    const auto *base = reinterpret_cast<const std::uint8_t *>(frame);
    const auto *link = reinterpret_cast<const sockaddr_ll *>(base + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
    const bool outbound = link->sll_pkttype == PACKET_OUTGOING;
    if ((outbound && !m_options.egress) || (!outbound && !m_options.ingress)) {
        return true; // the other direction (only when the socket filter could not test it)
    }
    const std::uint8_t *data = base + frame->tp_mac;
    std::uint32_t captured = std::min(frame->tp_snaplen, m_options.snaplen);
    std::uint32_t original = frame->tp_len;
    // The NIC or the veth took the 802.1Q tag out of the frame (VLAN acceleration); the ring reports it
    // beside the frame. Put it back after the MAC addresses so the pcapng shows the frame as on the wire.
    if ((frame->tp_status & TP_STATUS_VLAN_VALID) && m_linktype == pcapng::kLinktypeEthernet && captured >= 12) {
        const std::uint16_t tpid = (frame->tp_status & TP_STATUS_VLAN_TPID_VALID) && frame->hv1.tp_vlan_tpid
            ? frame->hv1.tp_vlan_tpid
            : ETH_P_8021Q;
        const std::uint16_t tag[2] = {htons(tpid), htons(static_cast<std::uint16_t>(frame->hv1.tp_vlan_tci))};
        std::memcpy(m_scratch.data(), data, 12);
        std::memcpy(m_scratch.data() + 12, tag, kVlanTagBytes);
        std::memcpy(m_scratch.data() + 12 + kVlanTagBytes, data + 12, captured - 12);
        captured = std::min(captured + kVlanTagBytes, m_options.snaplen);
        original += kVlanTagBytes;
        data = m_scratch.data();
        ++m_vlanTagsRestored;
    }
    pcapng::EnhancedPacket packet;
    packet.timestampNs = static_cast<std::uint64_t>(frame->tp_sec) * 1000000000ULL + frame->tp_nsec;
    packet.data = data;
    packet.captured = captured;
    packet.original = original;
    packet.direction = outbound ? pcapng::Direction::Outbound : pcapng::Direction::Inbound;
    const std::size_t size = pcapng::enhancedPacketBlockSize(captured, packet.direction);
    if (m_out.size() - m_outTail < size) {
        if (m_outHead > 0) {
            std::memmove(m_out.data(), m_out.data() + m_outHead, m_outTail - m_outHead);
            m_outTail -= m_outHead;
            m_outHead = 0;
        }
        if (m_out.size() - m_outTail < size) {
            return false;
        }
    }
    m_outTail += pcapng::writeEnhancedPacketBlock(m_out.data() + m_outTail, packet);
    ++m_packets;
    m_bytes += original;
    return true;
}

bool StreamSession::drainRing()
{
    for (;;) {
        auto *block = reinterpret_cast<tpacket_block_desc *>(m_ring + static_cast<std::size_t>(m_block) * m_blockSize);
        if (!(__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            return false;
        }
        const std::uint32_t count = block->hdr.bh1.num_pkts;
        if (m_packetInBlock == 0) {
            m_offsetInBlock = block->hdr.bh1.offset_to_first_pkt;
        }
        while (m_packetInBlock < count) {
            const auto *frame =
                reinterpret_cast<const tpacket3_hdr *>(reinterpret_cast<const std::uint8_t *>(block) + m_offsetInBlock);
            if (!appendFrame(frame)) {
                return true; // no room: keep the block and the position in it until stdout takes bytes
            }
            ++m_packetInBlock;
            m_offsetInBlock += frame->tp_next_offset;
        }
        __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        m_packetInBlock = 0;
        m_offsetInBlock = 0;
        m_block = (m_block + 1) % m_blockCount;
    }
}

bool StreamSession::writeOut()
{
    while (m_outHead < m_outTail) {
        const ssize_t n = ::write(STDOUT_FILENO, m_out.data() + m_outHead, m_outTail - m_outHead);
        if (n > 0) {
            m_outHead += static_cast<std::size_t>(n);
            m_pcapngBytes += static_cast<std::uint64_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return true;
        }
        if (n < 0 && errno != EPIPE) {
            emitEvent("warning",
                JsonLine()
                    .add("code", "stdout-failed")
                    .add("message", std::string("write pcapng to stdout: ") + std::strerror(errno)));
        }
        m_stdoutClosed = true;
        return false;
    }
    m_outHead = 0;
    m_outTail = 0;
    return true;
}

void StreamSession::finish(int timeoutMs)
{
    const std::int64_t start = bootMs();
    const std::int64_t retired = start + 3 * kBlockRetireMs;
    const std::int64_t until = start + timeoutMs;
    for (;;) {
        const bool full = drainRing();
        if (!writeOut()) {
            return;
        }
        const bool pending = m_outHead < m_outTail;
        const std::int64_t now = bootMs();
        if (now >= until || (!pending && now >= retired)) {
            return;
        }
        // As in run(): only a buffer that stdout has not taken yet leaves the ring alone.
        pollfd pfds[2] = {
            {(full && pending) || now >= retired ? -1 : m_socket.get(), POLLIN, 0},
            {pending ? STDOUT_FILENO : -1, POLLOUT, 0},
        };
        ::poll(pfds, 2, static_cast<int>(std::min(until, pending ? until : retired) - now));
    }
}

void StreamSession::readKernelStats()
{
    tpacket_stats_v3 stats = {};
    socklen_t length = sizeof stats;
    if (::getsockopt(m_socket.get(), SOL_PACKET, PACKET_STATISTICS, &stats, &length) == 0) {
        m_kernelPackets += stats.tp_packets;
        m_ringDrops += stats.tp_drops;
    }
}

void StreamSession::addCounters(JsonLine &line) const
{
    line.add("packets", m_packets)
        .add("bytes", m_bytes)
        .add("ring_drops", m_ringDrops)
        .add("kernel_packets", m_kernelPackets)
        .add("pcapng_bytes", m_pcapngBytes);
    if (m_vlanTagsRestored > 0) {
        line.add("vlan_tags_restored", m_vlanTagsRestored);
    }
}

int StreamSession::run()
{
    const UniqueFd signals = stopSignalFd();
    open();
    StopRules rules(m_options);
    const TargetFinder finder(m_options.procRoot, m_options.netnsDir);
    // The console's exec holds stdin: its end (the exec closed) stops the stream. Only a pipe or a socket is
    // watched: /dev/null (a shell job) would end it at once.
    const bool watchStdin = watchable(STDIN_FILENO);
    emitEvent("ready",
        JsonLine()
            .add("command", "stream")
            .add("interface", m_options.interface)
            .add("ifindex", m_ifindex)
            .add("if_name", m_options.ifName)
            .add("mtu", m_mtu)
            .add("linktype", static_cast<unsigned>(m_linktype))
            .add("netns", m_target.netnsPath)
            .add("pid", m_target.pid)
            .add("snaplen", m_options.snaplen)
            .add("hooks", m_options.hooks())
            .add("filter", m_options.bpf ? "bpf" : "none")
            .add("ring_bytes", static_cast<std::uint64_t>(m_ringBytes))
            .add("session", m_options.session)
            .add("version", kAgentVersion)
            .add("contract", kAgentContract));

    std::string reason;
    std::string stdinPending;
    const std::int64_t start = bootMs();
    std::int64_t nextCheck = start + 1000;
    std::int64_t nextStats = m_options.statsInterval > 0 ? start + m_options.statsInterval * 1000LL : -1;
    while (reason.empty()) {
        const bool full = drainRing();
        if (!writeOut()) {
            reason = "stdout-closed";
            break;
        }
        const bool pending = m_outHead < m_outTail;
        const std::int64_t now = bootMs();
        std::int64_t wakeAt = nextCheck;
        if (nextStats >= 0) {
            wakeAt = std::min(wakeAt, nextStats);
        }
        // A full buffer leaves the ring alone (it would wake poll at once) until stdout takes bytes. Once
        // stdout has taken them all (a regular file always does), the ring is polled again at once: leaving
        // it out then would wait for the next timer with a backlog in the ring, about one buffer per second.
        const bool waitForStdout = full && pending;
        pollfd pfds[4] = {
            {signals.get(), POLLIN, 0},
            {watchStdin ? STDIN_FILENO : -1, POLLIN, 0},
            {waitForStdout ? -1 : m_socket.get(), POLLIN, 0},
            // Always polled: a pipe whose reader is gone reports POLLERR (a socket POLLHUP) also when nothing
            // waits to be written, so an idle stream notices too.
            {STDOUT_FILENO, static_cast<short>(pending ? POLLOUT : 0), 0},
        };
        const int ready = ::poll(pfds, 4, static_cast<int>(std::max<std::int64_t>(0, wakeAt - now)));
        if (ready > 0 && (pfds[0].revents & POLLIN)) {
            if (!readStopSignal(signals.get()).empty()) {
                reason = "signal";
                break;
            }
        }
        if (ready > 0 && pfds[1].revents != 0) {
            char buf[512];
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                reason = "stdin-closed";
                break;
            }
            if (n > 0) {
                stdinPending.append(buf, static_cast<std::size_t>(n));
                for (std::size_t end = stdinPending.find('\n'); end != std::string::npos;
                     end = stdinPending.find('\n')) {
                    std::string line = stdinPending.substr(0, end);
                    stdinPending.erase(0, end + 1);
                    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
                        line.pop_back();
                    }
                    if (line == "stop") {
                        reason = "stdin-stop";
                    }
                }
                if (stdinPending.size() > 4096) {
                    stdinPending.clear(); // an endless line is no command
                }
                if (!reason.empty()) {
                    break;
                }
            }
        }
        if (ready > 0 && (pfds[2].revents & POLLERR)) {
            int error = 0;
            socklen_t length = sizeof error;
            ::getsockopt(m_socket.get(), SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0 && !m_warnedDown) {
                // ENETDOWN: the interface went down; the socket resumes when it comes back up. A deleted
                // interface ends with the pod (target-gone).
                m_warnedDown = true;
                emitEvent("warning",
                    JsonLine()
                        .add("code", "interface-down")
                        .add("message", "capture on " + m_options.interface + ": " + std::strerror(error)));
            }
        }
        if (ready > 0 && (pfds[3].revents & (POLLERR | POLLHUP)) && !(pfds[3].revents & POLLOUT)) {
            m_stdoutClosed = true;
            reason = "stdout-closed";
            break;
        }
        const std::int64_t after = bootMs();
        if (nextStats >= 0 && after >= nextStats) {
            readKernelStats();
            JsonLine stats;
            addCounters(stats);
            emitEvent("stats", std::move(stats));
            nextStats += m_options.statsInterval * 1000LL;
        }
        if (after >= nextCheck) {
            nextCheck = after + 1000;
            if (!finder.stillPresent(m_options.target, m_target)) {
                reason = "target-gone";
                break;
            }
            reason = rules.check();
        }
    }
    // Frames the kernel already took sit in a ring block that is handed over only when it retires: wait for
    // that, then hand the whole blocks buffered to the reader, unless it is gone, waiting a little at most.
    if (!m_stdoutClosed) {
        finish(1000);
    }
    readKernelStats();
    JsonLine stopped;
    stopped.add("reason", reason).add("interface", m_options.interface);
    addCounters(stopped);
    emitEvent("stopped", std::move(stopped));
    return ExitOk;
}

} // namespace podtap::agent
