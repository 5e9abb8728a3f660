// SPDX-License-Identifier: Apache-2.0
#include "pcapng/pcapng_blocks.h"

#include <algorithm>
#include <cstring>

namespace podtap::pcapng {

namespace {

template<typename T>
void appendRaw(std::string &to, T value)
{
    to.append(reinterpret_cast<const char *>(&value), sizeof value);
}

void appendPadding(std::string &to)
{
    to.append(padded(to.size()) - to.size(), '\0');
}

/// Appends one option; @p to holds a block from its start, so padding to a multiple of 4 pads the option.
void appendOption(std::string &to, std::uint16_t code, std::string_view value)
{
    appendRaw(to, code);
    appendRaw(to, static_cast<std::uint16_t>(value.size()));
    to.append(value);
    appendPadding(to);
}

std::string beginBlock(std::uint32_t type)
{
    std::string block;
    appendRaw(block, type);
    appendRaw(block, std::uint32_t(0)); // total length, patched by endBlock()
    return block;
}

std::string endBlock(std::string block)
{
    const auto total = static_cast<std::uint32_t>(block.size() + 4);
    appendRaw(block, total);
    std::memcpy(block.data() + 4, &total, 4);
    return block;
}

} // namespace

std::string utf8Cut(std::string_view text, std::size_t limit)
{
    if (text.size() <= limit) {
        return std::string(text);
    }
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<std::uint8_t>(text[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return std::string(text.substr(0, cut));
}

std::string sectionHeaderBlock(std::string_view userApplication)
{
    std::string block = beginBlock(kSectionHeaderBlock);
    appendRaw(block, kByteOrderMagic);
    appendRaw(block, std::uint16_t(1)); // major version
    appendRaw(block, std::uint16_t(0)); // minor version
    appendRaw(block, std::int64_t(-1)); // section length: unknown, this is a stream
    if (!userApplication.empty()) {
        appendOption(block, kOptShbUserAppl, utf8Cut(userApplication));
    }
    appendOption(block, kOptEndOfOptions, {});
    return endBlock(std::move(block));
}

std::string interfaceDescriptionBlock(const InterfaceDescription &interface)
{
    std::string block = beginBlock(kInterfaceDescriptionBlock);
    appendRaw(block, interface.linktype);
    appendRaw(block, std::uint16_t(0)); // reserved
    appendRaw(block, clampSnaplen(interface.snaplen));
    if (!interface.name.empty()) {
        appendOption(block, kOptIfName, utf8Cut(interface.name));
    }
    if (!interface.description.empty()) {
        appendOption(block, kOptIfDescription, utf8Cut(interface.description));
    }
    const char tsresol = static_cast<char>(interface.tsresol);
    appendOption(block, kOptIfTsresol, std::string_view(&tsresol, 1));
    appendOption(block, kOptEndOfOptions, {});
    return endBlock(std::move(block));
}

std::string nameRecord(const std::uint8_t *address, std::size_t addressLength, std::string_view name)
{
    const std::string cut = utf8Cut(name);
    const bool control =
        std::any_of(cut.begin(), cut.end(), [](char c) { return static_cast<std::uint8_t>(c) < 0x20 || c == 0x7F; });
    if (cut.empty() || control || (addressLength != 4 && addressLength != 16)) {
        return {};
    }
    std::string record;
    const std::size_t valueLength = addressLength + cut.size() + 1;
    appendRaw(record, addressLength == 4 ? kNrbIpv4 : kNrbIpv6);
    appendRaw(record, static_cast<std::uint16_t>(valueLength));
    record.append(reinterpret_cast<const char *>(address), addressLength);
    record.append(cut);
    record.push_back('\0');
    record.append(padded(valueLength) - valueLength, '\0');
    return record;
}

std::string nameResolutionBlock(std::string_view records)
{
    std::string block = beginBlock(kNameResolutionBlock);
    block.append(records);
    appendRaw(block, kNrbEnd);
    appendRaw(block, std::uint16_t(0));
    return endBlock(std::move(block));
}

std::size_t writeEnhancedPacketBlock(std::uint8_t *out, const EnhancedPacket &packet)
{
    const std::size_t total = enhancedPacketBlockSize(packet.captured, packet.direction);
    const auto put32 = [&out](std::uint32_t value) {
        std::memcpy(out, &value, 4);
        out += 4;
    };
    const auto put16 = [&out](std::uint16_t value) {
        std::memcpy(out, &value, 2);
        out += 2;
    };
    put32(kEnhancedPacketBlock);
    put32(static_cast<std::uint32_t>(total));
    put32(packet.interfaceId);
    put32(static_cast<std::uint32_t>(packet.timestampNs >> 32));
    put32(static_cast<std::uint32_t>(packet.timestampNs & 0xFFFFFFFFu));
    put32(packet.captured);
    put32(packet.original);
    if (packet.captured > 0) {
        std::memcpy(out, packet.data, packet.captured);
    }
    out += packet.captured;
    const std::size_t fill = padded(packet.captured) - packet.captured;
    std::memset(out, 0, fill);
    out += fill;
    if (packet.direction != Direction::Unknown) {
        put16(kOptEpbFlags);
        put16(4);
        put32(static_cast<std::uint32_t>(packet.direction));
        put16(kOptEndOfOptions);
        put16(0);
    }
    put32(static_cast<std::uint32_t>(total));
    return total;
}

} // namespace podtap::pcapng
