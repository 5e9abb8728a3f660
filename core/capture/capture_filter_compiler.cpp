// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_filter_compiler.h"

#include "common/text_escape.h"

#include <QMutex>
#include <QStringList>

#include <memory>
#include <pcap/pcap.h>

namespace podtap {
namespace {

struct PcapCloser
{
    void operator()(pcap_t *handle) const { pcap_close(handle); }
};

} // namespace

QString CompiledFilter::toTcpdumpDdd() const
{
    QString text = QString::number(program.size()) + QLatin1Char('\n');
    for (const BpfInstruction &insn : program) {
        text += QStringLiteral("%1 %2 %3 %4\n").arg(insn.code).arg(insn.jt).arg(insn.jf).arg(insn.k);
    }
    return text;
}

QString CompiledFilter::toArgument() const
{
    QStringList parts {QString::number(program.size())};
    for (const BpfInstruction &insn : program) {
        parts << QStringLiteral("%1 %2 %3 %4").arg(insn.code).arg(insn.jt).arg(insn.jf).arg(insn.k);
    }
    return parts.join(QLatin1Char(','));
}

CompiledFilter compileCaptureFilter(const QString &filter, FilterLinkType linkType, int snaplen)
{
    CompiledFilter result;
    result.filter = filter;
    const QByteArray text = filter.toUtf8();
    if (text.contains('\0')) {
        result.error =
            QStringLiteral("capture filter %1 does not compile: it contains a NUL byte").arg(quoteForMessage(filter));
        return result;
    }
    // libpcap's filter compiler was not reentrant before 1.8 and still shares state on some builds.
    static QMutex compilerLock;
    const QMutexLocker locker(&compilerLock);
    std::unique_ptr<pcap_t, PcapCloser> handle(pcap_open_dead(int(linkType), snaplen));
    if (!handle) {
        result.error = QStringLiteral("capture filter %1 cannot be compiled: libpcap could not open a dead handle")
                           .arg(quoteForMessage(filter));
        return result;
    }
    bpf_program program {};
    if (pcap_compile(handle.get(), &program, text.constData(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        result.error = QStringLiteral("capture filter %1 does not compile: %2. Use tcpdump/Wireshark capture filter "
                                      "syntax, e.g. 'tcp port 80 and host 192.0.2.10'.")
                           .arg(quoteForMessage(filter, 200), QString::fromLocal8Bit(pcap_geterr(handle.get())));
        return result;
    }
    result.program.reserve(program.bf_len);
    for (u_int i = 0; i < program.bf_len; ++i) {
        const bpf_insn &insn = program.bf_insns[i];
        result.program.append(BpfInstruction {insn.code, insn.jt, insn.jf, insn.k});
    }
    pcap_freecode(&program);
    return result;
}

} // namespace podtap
