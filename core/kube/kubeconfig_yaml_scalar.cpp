// SPDX-License-Identifier: Apache-2.0
#include "kube/kubeconfig_yaml_scalar.h"

#include <QRegularExpression>

namespace podtap::kube {

YamlPlainScalar YamlPlainScalar::resolve(const QString &plain)
{
    YamlPlainScalar result;
    static const QStringList nulls {
        QString(), QStringLiteral("~"), QStringLiteral("null"), QStringLiteral("Null"), QStringLiteral("NULL")};
    static const QStringList trues {QStringLiteral("y"), QStringLiteral("Y"), QStringLiteral("yes"),
        QStringLiteral("Yes"), QStringLiteral("YES"), QStringLiteral("on"), QStringLiteral("On"), QStringLiteral("ON"),
        QStringLiteral("true"), QStringLiteral("True"), QStringLiteral("TRUE")};
    static const QStringList falses {QStringLiteral("n"), QStringLiteral("N"), QStringLiteral("no"),
        QStringLiteral("No"), QStringLiteral("NO"), QStringLiteral("off"), QStringLiteral("Off"), QStringLiteral("OFF"),
        QStringLiteral("false"), QStringLiteral("False"), QStringLiteral("FALSE")};
    static const QStringList specialFloats {QStringLiteral(".inf"), QStringLiteral(".Inf"), QStringLiteral(".INF"),
        QStringLiteral("+.inf"), QStringLiteral("+.Inf"), QStringLiteral("+.INF"), QStringLiteral("-.inf"),
        QStringLiteral("-.Inf"), QStringLiteral("-.INF"), QStringLiteral(".nan"), QStringLiteral(".NaN"),
        QStringLiteral(".NAN")};
    if (plain.isEmpty() || nulls.contains(plain)) {
        result.type = Type::Null;
        return result;
    }
    if (trues.contains(plain) || falses.contains(plain)) {
        result.type = Type::Bool;
        result.boolean = trues.contains(plain);
        return result;
    }
    if (specialFloats.contains(plain)) {
        result.type = Type::Float;
        result.canonical = plain;
        return result;
    }
    const QChar first = plain.front();
    if (!(first.isDigit() || first == QLatin1Char('-') || first == QLatin1Char('+') || first == QLatin1Char('.'))) {
        return result;
    }
    // Integers as Go's strconv.ParseInt(s, 0, 64) reads them once underscores are dropped.
    QString digits = plain;
    digits.remove(QLatin1Char('_'));
    QString body = digits;
    bool negative = false;
    if (body.startsWith(QLatin1Char('-')) || body.startsWith(QLatin1Char('+'))) {
        negative = body.startsWith(QLatin1Char('-'));
        body = body.mid(1);
    }
    int base = 10;
    if (body.startsWith(QLatin1String("0x")) || body.startsWith(QLatin1String("0X"))) {
        base = 16;
        body = body.mid(2);
    } else if (body.startsWith(QLatin1String("0b")) || body.startsWith(QLatin1String("0B"))) {
        base = 2;
        body = body.mid(2);
    } else if (body.startsWith(QLatin1String("0o")) || body.startsWith(QLatin1String("0O"))) {
        base = 8;
        body = body.mid(2);
    } else if (body.size() > 1 && body.startsWith(QLatin1Char('0'))) {
        base = 8;
        body = body.mid(1);
    }
    bool ok = false;
    const qulonglong value = body.isEmpty() ? 0 : body.toULongLong(&ok, base);
    if (ok && !body.startsWith(QLatin1Char('-')) && !body.startsWith(QLatin1Char('+'))) {
        result.type = Type::Int;
        result.canonical = (negative ? QStringLiteral("-") : QString()) + QString::number(value);
        return result;
    }
    static const QRegularExpression floatPattern(
        QStringLiteral(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)"));
    if (floatPattern.match(plain).hasMatch()) {
        result.type = Type::Float;
        result.canonical = plain;
        return result;
    }
    static const QRegularExpression timestampPattern(QStringLiteral(
        R"(^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?$)"));
    if (timestampPattern.match(plain).hasMatch()) {
        result.type = Type::Timestamp;
        return result;
    }
    return result;
}

} // namespace podtap::kube
