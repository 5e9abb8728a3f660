// SPDX-License-Identifier: Apache-2.0
#include "tap/tap_request.h"

#include <QTest>

using namespace podtap;

namespace {

TapRequestFields validFields()
{
    TapRequestFields fields;
    fields.targetNamespace = QStringLiteral("shop");
    fields.pod = QStringLiteral("cart-7d9f8-x2k4q");
    return fields;
}

QStringList fieldsOf(const ValidationProblems &problems)
{
    QStringList names;
    for (const auto &p : problems) {
        names << p.field;
    }
    return names;
}

QString joined(const ValidationProblems &problems)
{
    QStringList lines;
    for (const auto &p : problems) {
        lines << p.toString();
    }
    return lines.join(QLatin1Char('\n'));
}

const QString kHuge = QString(10240, QLatin1Char('a'));
const QString kWithNul = QString::fromUtf8("eth\0evil", 8);

} // namespace

/// @brief TapRequest parses and validates every field, reporting all problems with field, value and rule.
class TestTapRequest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreValid()
    {
        ValidationProblems problems;
        const TapRequest request = TapRequest::fromFields(validFields(), &problems);
        QVERIFY2(problems.isEmpty(), qPrintable(joined(problems)));
        QCOMPARE(request.interfaceName, QStringLiteral("eth0"));
        QCOMPARE(request.direction, Direction::Both);
        QCOMPARE(request.destination.kind, Destination::Kind::ThisMachine);
        QCOMPARE(request.port, 4789);
        QVERIFY(!request.vni.has_value());
        QCOMPARE(request.maxDuration, std::chrono::seconds(3600));
        QCOMPARE(request.agentNamespace, QStringLiteral("podtap"));
    }

    void destinationSpellingsRoundTrip()
    {
        for (const QString &text : {QStringLiteral("local"), QStringLiteral("local-interface"), QStringLiteral("api"),
                 QStringLiteral("node:worker-1"), QStringLiteral("ip:192.0.2.7")}) {
            const std::optional<Destination> parsed = parseDestination(text);
            QVERIFY2(parsed.has_value(), qPrintable(text));
            QCOMPARE(parsed->toString(), text);
        }
        QCOMPARE(parseDestination(QStringLiteral("local"))->kind, Destination::Kind::ThisMachine);
        QCOMPARE(parseDestination(QStringLiteral("local-interface"))->kind, Destination::Kind::LocalInterface);
        QVERIFY(parseDestination(QStringLiteral("local"))->endsHere());
        QVERIFY(parseDestination(QStringLiteral("local-interface"))->endsHere());
        QVERIFY(!parseDestination(QStringLiteral("node:worker-1"))->endsHere());
        QVERIFY(!parseDestination(QStringLiteral("local-iface")).has_value());
    }

    void apiServerDestinationStreamsHere()
    {
        const std::optional<Destination> api = parseDestination(QStringLiteral("api"));
        QVERIFY(api.has_value());
        QCOMPARE(api->kind, Destination::Kind::ApiServer);
        QCOMPARE(parseDestination(QStringLiteral("api-server"))->kind, Destination::Kind::ApiServer);
        QVERIFY(api->endsHere());
        QVERIFY(api->capturedInProcess());
        QVERIFY(api->mayStream());
        // "This machine" may fall back to the stream; the kernel interface and remote tunnels never do.
        QVERIFY(parseDestination(QStringLiteral("local"))->mayStream());
        QVERIFY(!parseDestination(QStringLiteral("local-interface"))->mayStream());
        QVERIFY(!parseDestination(QStringLiteral("node:worker-1"))->mayStream());
        QVERIFY(!parseDestination(QStringLiteral("apiserver")).has_value());

        TapRequestFields fields;
        fields.targetNamespace = QStringLiteral("shop");
        fields.pod = QStringLiteral("cart-0");
        fields.destination = QStringLiteral("api");
        ValidationProblems problems;
        const TapRequest request = TapRequest::fromFields(fields, &problems);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.isEmpty() ? QString() : problems.first().toString()));
        QCOMPARE(request.destination.kind, Destination::Kind::ApiServer);

        fields.destination = QStringLiteral("apu");
        TapRequest::fromFields(fields, &problems);
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems.first().rule.contains(QLatin1String("'api'")), qPrintable(problems.first().toString()));
    }

    void fieldRules_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expectedProblemField"); // empty: valid

        const auto row = [](const char *name, const char *field, const QString &value, const char *expected) {
            QTest::newRow(name) << QString::fromLatin1(field) << value << QString::fromLatin1(expected);
        };
        // namespace: RFC 1123 label
        row("ns ok", "namespace", QStringLiteral("kube-system"), "");
        row("ns empty", "namespace", QString(), "namespace");
        row("ns upper", "namespace", QStringLiteral("Shop"), "namespace");
        row("ns dot", "namespace", QStringLiteral("a.b"), "namespace");
        row("ns 64", "namespace", QString(64, QLatin1Char('a')), "namespace");
        row("ns 63", "namespace", QString(63, QLatin1Char('a')), "");
        row("ns leading dash", "namespace", QStringLiteral("-a"), "namespace");
        row("ns huge", "namespace", kHuge, "namespace");
        row("ns nul", "namespace", QString::fromUtf8("a\0b", 3), "namespace");
        row("ns non-ascii", "namespace", QStringLiteral("bücher"), "namespace");
        // pod: RFC 1123 subdomain
        row("pod dotted", "pod", QStringLiteral("web-0.shard.a"), "");
        row("pod empty", "pod", QString(), "pod");
        row("pod double dot", "pod", QStringLiteral("a..b"), "pod");
        row("pod 254", "pod", QString(254, QLatin1Char('a')), "pod");
        row("pod slash", "pod", QStringLiteral("../etc"), "pod");
        row("pod space", "pod", QStringLiteral("a b"), "pod");
        // interface
        row("if eth0", "interface", QStringLiteral("eth0"), "");
        row("if net1", "interface", QStringLiteral("net1"), "");
        row("if 15 bytes", "interface", QStringLiteral("abcdefghijklmno"), "");
        row("if 16 bytes", "interface", QStringLiteral("abcdefghijklmnop"), "interface");
        row("if multibyte over 15 bytes", "interface", QStringLiteral("ééééééééé"), "interface");
        row("if empty", "interface", QString(), "interface");
        row("if slash", "interface", QStringLiteral("a/b"), "interface");
        row("if dot", "interface", QStringLiteral("."), "interface");
        row("if dotdot", "interface", QStringLiteral(".."), "interface");
        row("if space", "interface", QStringLiteral("eth 0"), "interface");
        row("if tab", "interface", QStringLiteral("eth\t0"), "interface");
        row("if nul", "interface", kWithNul, "interface");
        row("if huge", "interface", kHuge, "interface");
        // direction
        row("dir ingress", "direction", QStringLiteral("ingress"), "");
        row("dir egress", "direction", QStringLiteral("egress"), "");
        row("dir both", "direction", QStringLiteral("both"), "");
        row("dir upper", "direction", QStringLiteral("INGRESS"), "direction");
        row("dir empty", "direction", QString(), "direction");
        row("dir huge", "direction", kHuge, "direction");
        // destination
        row("dest local", "destination", QStringLiteral("local"), "");
        row("dest node", "destination", QStringLiteral("node:worker-2"), "");
        row("dest node bad", "destination", QStringLiteral("node:Worker_2"), "destination node");
        row("dest node empty", "destination", QStringLiteral("node:"), "destination node");
        row("dest ip4", "destination", QStringLiteral("ip:192.0.2.10"), "");
        row("dest bare ip4", "destination", QStringLiteral("198.51.100.7"), "");
        row("dest ip6", "destination", QStringLiteral("ip:2001:db8::1"), "");
        row("dest ip6 zone", "destination", QStringLiteral("ip:fe80::1%eth0"), "destination IP");
        row("dest ip4 overflow", "destination", QStringLiteral("ip:192.0.2.256"), "destination IP");
        row("dest ip4 short", "destination", QStringLiteral("ip:192.0.2"), "destination IP");
        row("dest ip nul", "destination", QString::fromUtf8("ip:192.0.2.1\0x", 15), "destination IP");
        row("dest ip empty", "destination", QStringLiteral("ip:"), "destination IP");
        row("dest garbage", "destination", QStringLiteral("moon"), "destination");
        row("dest huge", "destination", kHuge, "destination");
        // VNI
        row("vni empty", "vni", QString(), "");
        row("vni 1", "vni", QStringLiteral("1"), "");
        row("vni max", "vni", QStringLiteral("16777215"), "");
        row("vni zero", "vni", QStringLiteral("0"), "VNI");
        row("vni over", "vni", QStringLiteral("16777216"), "VNI");
        row("vni negative", "vni", QStringLiteral("-5"), "VNI");
        row("vni u64 overflow", "vni", QStringLiteral("99999999999999999999999"), "VNI");
        row("vni hex", "vni", QStringLiteral("0x10"), "VNI");
        row("vni spaces", "vni", QStringLiteral(" 42"), "VNI");
        row("vni plus", "vni", QStringLiteral("+42"), "VNI");
        row("vni arabic digits", "vni", QStringLiteral("٤٢"), "VNI");
        // port
        row("port 1", "port", QStringLiteral("1"), "");
        row("port 65535", "port", QStringLiteral("65535"), "");
        row("port 0", "port", QStringLiteral("0"), "port");
        row("port 65536", "port", QStringLiteral("65536"), "port");
        row("port negative", "port", QStringLiteral("-1"), "port");
        row("port empty", "port", QString(), "port");
        row("port int overflow", "port", QStringLiteral("4294967297"), "port");
        // capture filter
        row("filter ok", "filter", QStringLiteral("udp port 9999 and not host 192.0.2.1"), "");
        row("filter nul", "filter", QString::fromUtf8("udp\0", 4), "capture filter");
        row("filter huge", "filter", kHuge, "capture filter");
        // duration
        row("dur 90s", "duration", QStringLiteral("90s"), "");
        row("dur 1h30m", "duration", QStringLiteral("1h30m"), "");
        row("dur plain", "duration", QStringLiteral("600"), "");
        row("dur zero", "duration", QStringLiteral("0"), "maximum duration");
        row("dur negative", "duration", QStringLiteral("-10m"), "maximum duration");
        row("dur too long", "duration", QStringLiteral("9999h"), "maximum duration");
        row("dur overflow", "duration", QStringLiteral("99999999999999999999s"), "maximum duration");
        row("dur words", "duration", QStringLiteral("an hour"), "maximum duration");
        // agent namespace and image
        row("agent ns bad", "agentNamespace", QStringLiteral("Podtap"), "agent namespace");
        row("image ok", "image", QStringLiteral("registry.example:5000/podtap/agent@sha256:abc"), "");
        row("image space", "image", QStringLiteral("a b"), "agent image");
        row("image newline", "image", QStringLiteral("a\nb"), "agent image");
        row("image huge", "image", kHuge, "agent image");
    }

    void fieldRules()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, expectedProblemField);

        TapRequestFields fields = validFields();
        const QHash<QString, QString *> targets {
            {QStringLiteral("namespace"), &fields.targetNamespace},
            {QStringLiteral("pod"), &fields.pod},
            {QStringLiteral("interface"), &fields.interfaceName},
            {QStringLiteral("direction"), &fields.direction},
            {QStringLiteral("destination"), &fields.destination},
            {QStringLiteral("vni"), &fields.vni},
            {QStringLiteral("port"), &fields.port},
            {QStringLiteral("filter"), &fields.captureFilter},
            {QStringLiteral("duration"), &fields.maxDuration},
            {QStringLiteral("agentNamespace"), &fields.agentNamespace},
            {QStringLiteral("image"), &fields.agentImage},
        };
        QVERIFY(targets.contains(field));
        *targets.value(field) = value;

        ValidationProblems problems;
        TapRequest::fromFields(fields, &problems);
        if (expectedProblemField.isEmpty()) {
            QVERIFY2(problems.isEmpty(), qPrintable(joined(problems)));
            return;
        }
        QCOMPARE(fieldsOf(problems), QStringList {expectedProblemField});
        const ValidationProblem &p = problems.first();
        // The message quotes the value safely: never raw control bytes, never 10 kB.
        QVERIFY2(p.value.startsWith(QLatin1Char('"')), qPrintable(p.value));
        QVERIFY2(p.value.size() < 120, qPrintable(p.value));
        for (const QChar c : p.toString()) {
            QVERIFY2(c.unicode() >= 0x20, qPrintable(QStringLiteral("raw control character in: ") + p.toString()));
        }
        QVERIFY2(!p.rule.isEmpty(), "a problem must state its rule");
    }

    void reportsEveryProblemAtOnce()
    {
        TapRequestFields fields;
        fields.targetNamespace = QStringLiteral("Bad_NS");
        fields.pod = QString();
        fields.interfaceName = QStringLiteral("this-is-too-long-for-linux");
        fields.direction = QStringLiteral("sideways");
        fields.destination = QStringLiteral("ip:fe80::1%eth0");
        fields.vni = QStringLiteral("-1");
        fields.port = QStringLiteral("70000");
        fields.maxDuration = QStringLiteral("forever");
        ValidationProblems problems;
        TapRequest::fromFields(fields, &problems);
        const QStringList expected {QStringLiteral("direction"), QStringLiteral("VNI"), QStringLiteral("port"),
            QStringLiteral("maximum duration"), QStringLiteral("namespace"), QStringLiteral("pod"),
            QStringLiteral("interface"), QStringLiteral("destination IP")};
        QCOMPARE(fieldsOf(problems), expected);
    }

    void messageNamesFieldValueAndRule()
    {
        TapRequestFields fields = validFields();
        fields.vni = QStringLiteral("16777216");
        ValidationProblems problems;
        TapRequest::fromFields(fields, &problems);
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems.first().toString(),
            QStringLiteral("VNI \"16777216\": must be a whole number between 1 and 16777215, or empty to choose one"));
    }

    void typedValidationCatchesOutOfRangeValues()
    {
        TapRequest request;
        request.targetNamespace = QStringLiteral("default");
        request.pod = QStringLiteral("p");
        request.vni = 0;
        request.port = -4;
        request.maxDuration = std::chrono::seconds(-1);
        QCOMPARE(fieldsOf(request.validate()),
            (QStringList {QStringLiteral("VNI"), QStringLiteral("port"), QStringLiteral("maximum duration")}));
    }

    void parsesDestinations()
    {
        QCOMPARE(parseDestination(QStringLiteral("node:n1"))->value, QStringLiteral("n1"));
        QCOMPARE(parseDestination(QStringLiteral("2001:db8::5"))->kind, Destination::Kind::Ip);
        QCOMPARE(parseDestination(QStringLiteral("ip:203.0.113.9"))->toString(), QStringLiteral("ip:203.0.113.9"));
        QVERIFY(!parseDestination(QStringLiteral("worker")).has_value());
    }

    void parsesDurations()
    {
        QCOMPARE(parseDuration(QStringLiteral("1h30m")), std::chrono::seconds(5400));
        QCOMPARE(parseDuration(QStringLiteral("45")), std::chrono::seconds(45));
        QCOMPARE(parseDuration(QStringLiteral("2m5s")), std::chrono::seconds(125));
        QVERIFY(!parseDuration(QStringLiteral("h")).has_value());
        QVERIFY(!parseDuration(QStringLiteral("1d")).has_value());
    }
};

QTEST_GUILESS_MAIN(TestTapRequest)
#include "tst_tap_request.moc"
