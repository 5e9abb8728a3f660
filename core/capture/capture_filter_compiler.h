// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QList>
#include <QString>

#include <cstdint>

namespace podtap {

/// @brief One classic BPF instruction, as `tcpdump -ddd` prints it: `code jt jf k`.
struct BpfInstruction
{
    std::uint16_t code = 0;
    std::uint8_t jt = 0;
    std::uint8_t jf = 0;
    std::uint32_t k = 0;

    bool operator==(const BpfInstruction &) const = default;
};

/// @brief A capture filter compiled to classic BPF, or the reason it did not compile.
struct CompiledFilter
{
    QString filter; ///< the operator's filter text, as given
    QList<BpfInstruction> program; ///< empty when compilation failed
    QString error; ///< empty on success; names the filter and carries libpcap's message

    bool ok() const { return error.isEmpty(); }
    /// Exactly what `tcpdump -ddd` prints: the instruction count, then one `code jt jf k` line each.
    QString toTcpdumpDdd() const;
    /// The single-line form tc's `bpf bytecode` takes: "count,code jt jf k,code jt jf k,...".
    /// This is what goes to `podtap-agent mirror --bpf`.
    QString toArgument() const;
};

/// tcpdump's default snapshot length; "accept" instructions return it, so the bytecode equals `tcpdump -ddd`.
inline constexpr int kTcpdumpSnaplen = 262144;

/// Link types the compiler accepts (the pcap DLT_* numbers for the interfaces podtap taps).
enum class FilterLinkType { Ethernet = 1, RawIp = 12 };

/// @brief Compiles @p filter to classic BPF for the agent's kernel-side filter.
///
/// Uses libpcap's own compiler on a dead handle, so no root and no interface are needed, and a
/// filter means exactly what it means to tcpdump and Wireshark, quirks included. An empty filter
/// compiles to "accept everything". Errors carry libpcap's message and the filter text.
CompiledFilter compileCaptureFilter(
    const QString &filter, FilterLinkType linkType = FilterLinkType::Ethernet, int snaplen = kTcpdumpSnaplen);

} // namespace podtap
