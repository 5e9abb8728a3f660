// SPDX-License-Identifier: Apache-2.0
#include "tap/tap_request.h"

#include "common/names.h"
#include "common/text_escape.h"

#include <QRegularExpression>

#include <limits>

namespace podtap {
namespace {

ValidationProblem problem(const QString &field, const QString &value, const QString &rule)
{
    return ValidationProblem {field, quoteForMessage(value), rule};
}

// Digits only: no sign, no spaces, no hex. Returns nullopt on overflow past @p max.
std::optional<quint64> parseUnsigned(const QString &text, quint64 max)
{
    if (text.isEmpty() || text.size() > 20) {
        return std::nullopt;
    }
    quint64 value = 0;
    for (const QChar c : text) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9')) {
            return std::nullopt;
        }
        const quint64 digit = c.unicode() - '0';
        if (value > (std::numeric_limits<quint64>::max() - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    if (value > max) {
        return std::nullopt;
    }
    return value;
}

} // namespace

QString ValidationProblem::toString() const
{
    return QStringLiteral("%1 %2: %3").arg(field, value, rule);
}

QString Destination::toString() const
{
    switch (kind) {
    case Kind::ThisMachine:
        return QStringLiteral("local");
    case Kind::LocalInterface:
        return QStringLiteral("local-interface");
    case Kind::ApiServer:
        return QStringLiteral("api");
    case Kind::Node:
        return QStringLiteral("node:") + value;
    case Kind::Ip:
        return QStringLiteral("ip:") + value;
    }
    return {};
}

QString directionName(Direction direction)
{
    switch (direction) {
    case Direction::Ingress:
        return QStringLiteral("ingress");
    case Direction::Egress:
        return QStringLiteral("egress");
    case Direction::Both:
        return QStringLiteral("both");
    }
    return {};
}

std::optional<Direction> parseDirection(const QString &text)
{
    if (text == QLatin1String("ingress")) {
        return Direction::Ingress;
    }
    if (text == QLatin1String("egress")) {
        return Direction::Egress;
    }
    if (text == QLatin1String("both")) {
        return Direction::Both;
    }
    return std::nullopt;
}

std::optional<Destination> parseDestination(const QString &text)
{
    if (text.isEmpty() || text == QLatin1String("local") || text == QLatin1String("this-machine")) {
        return Destination {};
    }
    if (text == QLatin1String("local-interface")) {
        return Destination {Destination::Kind::LocalInterface, {}};
    }
    if (text == QLatin1String("api") || text == QLatin1String("api-server")) {
        return Destination {Destination::Kind::ApiServer, {}};
    }
    if (text.startsWith(QLatin1String("node:"))) {
        return Destination {Destination::Kind::Node, text.mid(5)};
    }
    if (text.startsWith(QLatin1String("ip:"))) {
        return Destination {Destination::Kind::Ip, text.mid(3)};
    }
    if (isIpLiteral(text)) {
        return Destination {Destination::Kind::Ip, text};
    }
    return std::nullopt;
}

std::optional<std::chrono::seconds> parseDuration(const QString &text)
{
    if (text.isEmpty() || text.size() > 32) {
        return std::nullopt;
    }
    if (const auto plain = parseUnsigned(text, std::numeric_limits<qint32>::max())) {
        return std::chrono::seconds(*plain);
    }
    static const QRegularExpression re(QStringLiteral("^(?:(\\d{1,6})h)?(?:(\\d{1,8})m)?(?:(\\d{1,9})s)?$"));
    const auto match = re.match(text);
    if (!match.hasMatch()) {
        return std::nullopt;
    }
    const quint64 hours = match.captured(1).toULongLong();
    const quint64 minutes = match.captured(2).toULongLong();
    const quint64 seconds = match.captured(3).toULongLong();
    const quint64 total = hours * 3600 + minutes * 60 + seconds;
    if (total > quint64(std::numeric_limits<qint32>::max())) {
        return std::nullopt;
    }
    return std::chrono::seconds(total);
}

ValidationProblems validateDnsLabel(const QString &field, const QString &value)
{
    if (value.isEmpty()) {
        return {problem(field, value, QStringLiteral("is required"))};
    }
    if (!isDnsLabel(value)) {
        return {problem(field, value,
            QStringLiteral("must be an RFC 1123 label: at most 63 lowercase letters, digits and '-', "
                           "starting and ending with a letter or digit"))};
    }
    return {};
}

ValidationProblems validateDnsSubdomain(const QString &field, const QString &value)
{
    if (value.isEmpty()) {
        return {problem(field, value, QStringLiteral("is required"))};
    }
    if (!isDnsSubdomain(value)) {
        return {problem(field, value,
            QStringLiteral("must be an RFC 1123 subdomain: at most 253 characters of lowercase "
                           "letters, digits, '-' and '.', each part starting and ending with a "
                           "letter or digit"))};
    }
    return {};
}

ValidationProblems TapRequest::validate() const
{
    ValidationProblems problems;
    problems += validateDnsLabel(QStringLiteral("namespace"), targetNamespace);
    problems += validateDnsSubdomain(QStringLiteral("pod"), pod);
    if (!isInterfaceName(interfaceName)) {
        problems += problem(QStringLiteral("interface"), interfaceName,
            QStringLiteral("must be a Linux interface name: 1 to 15 bytes, without '/', ':', "
                           "whitespace or control characters, and not '.' or '..'"));
    }
    switch (destination.kind) {
    case Destination::Kind::ThisMachine:
    case Destination::Kind::LocalInterface:
    case Destination::Kind::ApiServer:
        break;
    case Destination::Kind::Node:
        problems += validateDnsSubdomain(QStringLiteral("destination node"), destination.value);
        break;
    case Destination::Kind::Ip:
        if (!isIpLiteral(destination.value)) {
            problems += problem(QStringLiteral("destination IP"), destination.value,
                QStringLiteral("must be an IPv4 or IPv6 address literal, without a zone"));
        }
        break;
    }
    if (vni && (*vni < 1 || *vni > kMaxVni)) {
        problems += problem(
            QStringLiteral("VNI"), QString::number(*vni), QStringLiteral("must be between 1 and %1").arg(kMaxVni));
    }
    if (port < 1 || port > 65535) {
        problems +=
            problem(QStringLiteral("port"), QString::number(port), QStringLiteral("must be between 1 and 65535"));
    }
    if (captureFilter.size() > kMaxCaptureFilterLength || hasControlOrNul(captureFilter)) {
        problems += problem(QStringLiteral("capture filter"), captureFilter,
            QStringLiteral("must be at most %1 characters without control characters").arg(kMaxCaptureFilterLength));
    }
    if (maxDuration < kMinDuration || maxDuration > kMaxDuration) {
        problems += problem(QStringLiteral("maximum duration"), QStringLiteral("%1s").arg(maxDuration.count()),
            QStringLiteral("must be between %1 s and %2 s (7 days)")
                .arg(kMinDuration.count())
                .arg(kMaxDuration.count()));
    }
    problems += validateDnsLabel(QStringLiteral("agent namespace"), agentNamespace);
    if (!agentImage.isEmpty()) {
        static const QRegularExpression imageRe(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,510}$"));
        if (!imageRe.match(agentImage).hasMatch()) {
            problems += problem(QStringLiteral("agent image"), agentImage,
                QStringLiteral("must be an image reference such as registry/name:tag, without "
                               "spaces or control characters"));
        }
    }
    return problems;
}

TapRequest TapRequest::fromFields(const TapRequestFields &fields, ValidationProblems *problems)
{
    TapRequest request;
    ValidationProblems found;
    request.targetNamespace = fields.targetNamespace;
    request.pod = fields.pod;
    request.interfaceName = fields.interfaceName;
    request.captureFilter = fields.captureFilter;
    request.agentNamespace = fields.agentNamespace;
    request.agentImage = fields.agentImage;

    if (const auto direction = parseDirection(fields.direction)) {
        request.direction = *direction;
    } else {
        found += problem(
            QStringLiteral("direction"), fields.direction, QStringLiteral("must be one of ingress, egress or both"));
    }
    if (const auto destination = parseDestination(fields.destination)) {
        request.destination = *destination;
    } else {
        found += problem(QStringLiteral("destination"), fields.destination,
            QStringLiteral("must be 'local', 'local-interface', 'api', 'node:NAME', 'ip:ADDRESS' or an IP "
                           "address"));
    }
    if (!fields.vni.isEmpty()) {
        if (const auto vni = parseUnsigned(fields.vni, kMaxVni); vni && *vni >= 1) {
            request.vni = std::uint32_t(*vni);
        } else {
            found += problem(QStringLiteral("VNI"), fields.vni,
                QStringLiteral("must be a whole number between 1 and %1, or empty to choose one").arg(kMaxVni));
        }
    }
    if (const auto port = parseUnsigned(fields.port, 65535); port && *port >= 1) {
        request.port = int(*port);
    } else {
        found +=
            problem(QStringLiteral("port"), fields.port, QStringLiteral("must be a whole number between 1 and 65535"));
    }
    if (const auto duration = parseDuration(fields.maxDuration)) {
        request.maxDuration = *duration;
    } else {
        found += problem(QStringLiteral("maximum duration"), fields.maxDuration,
            QStringLiteral("must be a duration such as 90s, 15m, 1h or 1h30m"));
    }

    // Typed checks only for the fields that parsed, so one bad value is reported once.
    for (const ValidationProblem &p : request.validate()) {
        const bool duplicate = std::any_of(found.cbegin(), found.cend(),
            [&](const ValidationProblem &f) { return p.field.startsWith(f.field) || f.field.startsWith(p.field); });
        if (!duplicate) {
            found += p;
        }
    }
    if (problems) {
        *problems = found;
    }
    return request;
}

} // namespace podtap
