// SPDX-License-Identifier: Apache-2.0
// TapRequest::fromFields on hostile text: never crashes, and what it accepts really obeys the rules.
#include "tap/tap_request.h"

#include <QList>

#include <cstdint>
#include <cstdlib>

using namespace podtap;

namespace {

void require(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Fields are separated by 0x1f (unit separator), so NULs stay inside fields.
    const QList<QByteArray> parts = QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)).split('\x1f');
    const auto field = [&](int i) { return i < parts.size() ? QString::fromUtf8(parts[i]) : QString(); };
    TapRequestFields fields;
    fields.targetNamespace = field(0);
    fields.pod = field(1);
    fields.interfaceName = field(2);
    fields.direction = field(3);
    fields.destination = field(4);
    fields.vni = field(5);
    fields.port = field(6);
    fields.captureFilter = field(7);
    fields.maxDuration = field(8);
    fields.agentNamespace = field(9);
    fields.agentImage = field(10);

    ValidationProblems problems;
    const TapRequest request = TapRequest::fromFields(fields, &problems);
    for (const ValidationProblem &p : problems) {
        const QString text = p.toString();
        require(text.size() < 1024); // values are cut, never echoed whole
        for (const QChar c : text) {
            require(c.unicode() >= 0x20); // no raw control characters reach a terminal
        }
    }
    if (problems.isEmpty()) {
        require(request.validate().isEmpty());
        require(isDnsLabel(request.targetNamespace) && isDnsSubdomain(request.pod));
        require(request.interfaceName.toUtf8().size() <= 15 && !request.interfaceName.contains(QLatin1Char('/')));
        require(request.port >= 1 && request.port <= 65535);
        require(!request.vni || (*request.vni >= 1 && *request.vni <= TapRequest::kMaxVni));
        require(request.destination.kind != Destination::Kind::Ip || isIpLiteral(request.destination.value));
    }
    return 0;
}
