// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line.h"
#include "json_line.h"
#include "netlink_socket.h"
#include "target_finder.h"

#include <linux/filter.h>
#include <linux/if_packet.h>

#include <cstdint>
#include <string>
#include <vector>

namespace podtap::agent {

/// @brief `podtap-agent stream`: captures one pod interface with an AF_PACKET socket and writes pcapng to stdout.
///
/// The socket is created in the target's netns with protocol 0, so the kernel hands it nothing until bind(); the
/// classic BPF program (with the direction test in front, when one direction was asked for) and the TPACKET_V3
/// ring are set up before that bind, so no unfiltered frame ever reaches the ring. The pod netns is not changed:
/// no qdisc, filter or device is added, so nothing needs removing and a pod whose MTU equals the underlay's loses
/// nothing to encapsulation.
///
/// Frames go from the ring into a bounded buffer of whole pcapng blocks, and from there to stdout (non-blocking
/// for a pipe or socket). While stdout does not take them, the ring is not read: it fills, and the kernel drops
/// and counts (PACKET_STATISTICS tp_drops, reported as ring_drops). Events go to stderr as JSON lines.
class StreamSession final
{
public:
    explicit StreamSession(AgentOptions options);
    ~StreamSession();
    StreamSession(const StreamSession &) = delete;
    StreamSession &operator=(const StreamSession &) = delete;

    /// Runs until a stop condition; returns the exit code. Throws AgentError when the capture cannot start.
    int run();

    /// The socket filter for @p options: the direction test (when one direction was asked for) in front of the
    /// --bpf program, or of `ret #snaplen` without one. Public for tests.
    static std::vector<sock_filter> socketFilter(const AgentOptions &options);

private:
    void open();
    /// Moves frames from the ring into the output buffer while it has room. Returns true when it stopped for lack
    /// of room (the ring is then not polled until stdout took some bytes).
    bool drainRing();
    /// Appends one frame as an EPB; false when the buffer has no room for it.
    bool appendFrame(const tpacket3_hdr *frame);
    /// Writes what stdout takes now. Returns false when stdout is closed (reader gone) or failed.
    bool writeOut();
    /// Writes what is buffered, waiting at most @p timeoutMs for a slow reader.
    void flushOut(int timeoutMs);
    void readKernelStats();
    void addCounters(JsonLine &line) const;

    AgentOptions m_options;
    ResolvedTarget m_target;
    UniqueFd m_socket;
    int m_ifindex = 0;
    int m_mtu = 0;
    std::uint16_t m_linktype = 1;
    std::uint8_t *m_ring = nullptr;
    std::size_t m_ringBytes = 0;
    std::uint32_t m_blockSize = 0;
    std::uint32_t m_blockCount = 0;
    std::uint32_t m_block = 0; ///< the ring block read next
    std::uint32_t m_packetInBlock = 0; ///< packets of m_block already taken (when the buffer filled mid-block)
    std::uint32_t m_offsetInBlock = 0; ///< offset of the next packet in m_block
    std::vector<std::uint8_t> m_out; ///< whole pcapng blocks not yet taken by stdout
    std::size_t m_outHead = 0; ///< first byte not yet written
    std::size_t m_outTail = 0; ///< end of the buffered blocks
    std::vector<std::uint8_t> m_scratch; ///< a frame with its VLAN tag put back
    int m_stdoutFlags = -1; ///< stdout's file status flags before the stream made it non-blocking
    bool m_stdoutClosed = false;
    bool m_warnedDown = false;
    std::uint64_t m_packets = 0;
    std::uint64_t m_bytes = 0;
    std::uint64_t m_ringDrops = 0;
    std::uint64_t m_kernelPackets = 0;
    std::uint64_t m_vlanTagsRestored = 0;
    std::uint64_t m_pcapngBytes = 0;
};

} // namespace podtap::agent
