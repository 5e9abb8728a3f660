// SPDX-License-Identifier: Apache-2.0
#include "agent_error.h"
#include "command_line.h"
#include "heartbeat_file.h"
#include "target_list.h"

#include <QTest>

#include <string>
#include <vector>

using namespace podtap::agent;

namespace {

/// The options of `mirror --targets-file F --remote 198.51.100.2 [extra...]`.
AgentOptions defaults(const std::vector<std::string> &extra = {})
{
    std::vector<std::string> args = {
        "podtap-agent", "mirror", "--targets-file", "/etc/podtap/annotations", "--remote", "198.51.100.2"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<const char *> argv;
    for (const std::string &arg : args) {
        argv.push_back(arg.c_str());
    }
    return parseCommandLine(static_cast<int>(argv.size()), argv.data());
}

QString unquote(const std::string &quoted, QString *error = nullptr)
{
    std::string out;
    std::string why;
    if (!HeartbeatFile::goUnquote(quoted, out, why)) {
        if (error) {
            *error = QString::fromStdString(why);
        }
        return QStringLiteral("<error>");
    }
    return QString::fromStdString(out);
}

/// The one error of parsing @p text, as "target|line|message".
QString onlyError(const std::string &text, const AgentOptions &options = defaults())
{
    const TargetList list = parseTargetList(text, options);
    if (list.errors.size() != 1) {
        return QStringLiteral("%1 errors").arg(list.errors.size());
    }
    const TargetLineError &e = list.errors.front();
    return QString::fromStdString(e.target) + QLatin1Char('|') + QString::number(e.lineNumber) + QLatin1Char('|') +
        QString::fromStdString(e.message);
}

} // namespace

/// @brief The target list of `mirror --targets-file` and the Go unquoting of a downward-API value.
class TestAgentTargetList final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesTargetsWithDefaultsAndOverrides()
    {
        const AgentOptions common = defaults({"--session", "s1", "--interface", "net1", "--direction", "ingress"});
        const TargetList list = parseTargetList("# a comment\n"
                                                "\n"
                                                "shop/cart-1 --container-id containerd://abc123 --vni 101\n"
                                                "  shop/cart-2\t--pod-uid 3f1c2a9e-5b7d --vni 102 --direction both "
                                                "--egress-vni 202 --interface eth0  \n"
                                                "shop/cart-3 --pid 4242 --vni 103 --name tapc3\r\n"
                                                "x --netns /var/run/netns/a --vni 104",
            common);
        QCOMPARE(list.errors.size(), std::size_t(0));
        QCOMPARE(list.targets.size(), std::size_t(4));
        const TargetSpec &one = list.targets[0];
        QCOMPARE(one.tag, std::string("shop/cart-1"));
        QCOMPARE(one.lineNumber, 3);
        QVERIFY(one.options.target.kind == TargetSelector::Kind::ContainerId);
        QCOMPARE(one.options.target.value, std::string("abc123")); // the runtime prefix goes, as on the command line
        QCOMPARE(one.options.vni, 101u);
        QCOMPARE(one.options.name, std::string("ptap101"));
        QCOMPARE(one.options.interface, std::string("net1")); // the command line's default
        QVERIFY(one.options.ingress && !one.options.egress);
        QCOMPARE(one.options.remote, std::string("198.51.100.2"));
        QCOMPARE(one.options.sessionKey(), std::string("s1/shop/cart-1"));
        QVERIFY(one.options.targetsFile.empty());

        const TargetSpec &two = list.targets[1];
        QCOMPARE(two.lineNumber, 4);
        QCOMPARE(two.line,
            std::string("shop/cart-2 --pod-uid 3f1c2a9e-5b7d --vni 102 --direction both --egress-vni 202 "
                        "--interface eth0"));
        QVERIFY(two.options.ingress && two.options.egress);
        QCOMPARE(two.options.egressVni, 202u);
        QCOMPARE(two.options.egressName, std::string("ptap102e"));
        QCOMPARE(two.options.interface, std::string("eth0"));

        QCOMPARE(list.targets[2].options.name, std::string("tapc3"));
        QCOMPARE(list.targets[2].options.target.value, std::string("4242"));
        QVERIFY(list.targets[3].options.target.kind == TargetSelector::Kind::Netns);
        // Without --session the key is the device's, as for one target.
        QCOMPARE(parseTargetList("a --pid 1 --vni 5", defaults()).targets.at(0).options.sessionKey(),
            std::string("name:ptap5"));
    }

    void emptyAndCommentOnlyListsAreEmpty()
    {
        for (const std::string text : {"", "\n", "# nothing\n\n   \n", "\t\n"}) {
            const TargetList list = parseTargetList(text, defaults());
            QVERIFY(list.targets.empty());
            QVERIFY(list.errors.empty());
        }
    }

    void badLinesNameLineTagFlagValueAndRule_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected"); // target|line|substrings of the message, separated by |
        QTest::newRow("vni out of range") << "a/b --pid 7 --vni 0"
                                          << "a/b|1|line 1|a/b|--vni 0|1-16777215";
        QTest::newRow("vni not a number") << "a/b --pid 7 --vni x1"
                                          << "a/b|1|--vni x1|a number";
        QTest::newRow("no vni") << "a/b --pid 7"
                                << "a/b|1|no --vni";
        QTest::newRow("no target") << "a/b --vni 7"
                                   << "a/b|1|no target|exactly one of";
        QTest::newRow("two targets") << "a/b --pid 7 --netns x --vni 7"
                                     << "a/b|1|more than one target";
        QTest::newRow("bad container id") << "a/b --container-id ab$c --vni 7"
                                          << "a/b|1|--container-id 'ab$c'";
        QTest::newRow("bad pid") << "a/b --pid -3 --vni 7"
                                 << "a/b|1|--pid -3";
        QTest::newRow("bad direction") << "a/b --pid 7 --vni 7 --direction up"
                                       << "a/b|1|--direction 'up'|ingress";
        QTest::newRow("bad interface") << "a/b --pid 7 --vni 7 --interface a:b"
                                       << "a/b|1|--interface 'a:b'|1-15 bytes";
        QTest::newRow("egress vni equals vni") << "a/b --pid 7 --vni 7 --egress-vni 7"
                                               << "a/b|1|--egress-vni 7|equals";
        QTest::newRow("unknown flag") << "a/b --pid 7 --vni 7 --remote 192.0.2.9"
                                      << "a/b|1|unknown flag '--remote'";
        QTest::newRow("flag=value") << "a/b --pid=7 --vni 7"
                                    << "a/b|1|'--pid=7'|--pid VALUE";
        QTest::newRow("missing value") << "a/b --pid 7 --vni"
                                       << "a/b|1|--vni needs a value";
        QTest::newRow("flag twice") << "a/b --pid 7 --vni 7 --vni 8"
                                    << "a/b|1|--vni given twice";
        QTest::newRow("bad tag") << "a*b --pid 7 --vni 7"
                                 << "line 1|1|target tag 'a*b'|A-Z a-z 0-9";
        QTest::newRow("tag too long") << QString(254, QLatin1Char('t')) + QStringLiteral(" --pid 7 --vni 7")
                                      << "line 1|1|254 bytes|1-253";
        QTest::newRow("tag twice") << "ok --pid 1 --vni 1\n\nok --pid 2 --vni 2"
                                   << "ok|3|line 3|already used on line 1";
        QTest::newRow("vni twice") << "a --pid 1 --vni 9\nb --pid 2 --vni 9"
                                   << "b|2|--vni 9|used by target a";
        QTest::newRow("egress vni is another's vni") << "a --pid 1 --vni 9\nb --pid 2 --vni 8 --egress-vni 9"
                                                     << "b|2|--egress-vni 9|used by target a";
        QTest::newRow("device twice") << "a --pid 1 --vni 9 --name d0\nb --pid 2 --vni 8 --name d0"
                                      << "b|2|--name d0|used by target a";
    }

    void badLinesNameLineTagFlagValueAndRule()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const QStringList want = expected.split(QLatin1Char('|'));
        const QString got = onlyError(text.toStdString());
        const QStringList parts = got.split(QLatin1Char('|'));
        QVERIFY2(parts.size() >= 3, qPrintable(got));
        QCOMPARE(parts.at(0), want.at(0));
        QCOMPARE(parts.at(1), want.at(1));
        for (const QString &piece : want.mid(2)) {
            QVERIFY2(parts.mid(2).join(QLatin1Char('|')).contains(piece),
                qPrintable(QStringLiteral("'%1' not in: %2").arg(piece, got)));
        }
    }

    void aBadLineLeavesTheOthers()
    {
        const TargetList list = parseTargetList("a --pid 1 --vni 1\nb --pid 2 --vni 0\nc --pid 3 --vni 3", defaults());
        QCOMPARE(list.targets.size(), std::size_t(2));
        QCOMPARE(list.targets[0].tag, std::string("a"));
        QCOMPARE(list.targets[1].tag, std::string("c"));
        QCOMPARE(list.errors.size(), std::size_t(1));
        QCOMPARE(list.errors[0].target, std::string("b"));
    }

    void atMost256Targets()
    {
        std::string text;
        for (int i = 1; i <= 258; ++i) {
            text += "t" + std::to_string(i) + " --pid " + std::to_string(i) + " --vni " + std::to_string(i) + "\n";
        }
        const TargetList list = parseTargetList(text, defaults());
        QCOMPARE(list.targets.size(), kMaxTargets);
        QCOMPARE(list.errors.size(), std::size_t(2));
        QCOMPARE(list.errors[0].target, std::string("t257"));
        QVERIFY(list.errors[0].message.find("more than 256 targets") != std::string::npos);
    }

    void commandLineRefusesPerTargetFlagsWithTargetsFile_data()
    {
        QTest::addColumn<QString>("flag");
        for (const char *flag :
            {"--container-id", "--pod-uid", "--pid", "--netns", "--vni", "--egress-vni", "--name", "--egress-name"}) {
            QTest::newRow(flag) << QString::fromLatin1(flag);
        }
    }

    void commandLineRefusesPerTargetFlagsWithTargetsFile()
    {
        QFETCH(QString, flag);
        try {
            defaults({flag.toStdString(), "7"});
            QFAIL("accepted");
        } catch (const AgentError &error) {
            QCOMPARE(error.exitCode(), int(ExitUsage));
            QVERIFY2(QString::fromUtf8(error.what()).startsWith(flag + QStringLiteral(" 7 with --targets-file")),
                error.what());
        }
    }

    void commandLineTargetsFileNeedsNoTargetAndKeyNeedsFile()
    {
        const AgentOptions options = defaults({"--targets-key", "podtap.io/targets", "--exit-with-parent"});
        QCOMPARE(options.targetsFile, std::string("/etc/podtap/annotations"));
        QCOMPARE(options.targetsKey, std::string("podtap.io/targets"));
        QVERIFY(options.exitWithParent);
        const char *argv[] = {
            "podtap-agent", "mirror", "--targets-key", "k", "--pid", "1", "--vni", "1", "--remote", "192.0.2.1"};
        try {
            parseCommandLine(10, argv);
            QFAIL("accepted");
        } catch (const AgentError &error) {
            QCOMPARE(error.exitCode(), int(ExitUsage));
            QVERIFY2(std::string(error.what()).find("without --targets-file") != std::string::npos, error.what());
        }
    }

    void mirrorHelpDescribesTheTargetsFile()
    {
        const std::string help = usageText("mirror");
        for (const char *words : {"--targets-file PATH", "--targets-key KEY", "TAG FLAG VALUE", "bad-target",
                 "<session>/<TAG>", "--exit-with-parent"}) {
            QVERIFY2(help.find(words) != std::string::npos, words);
        }
    }

    void goUnquoteDecodesEveryEscape_data()
    {
        QTest::addColumn<QByteArray>("quoted");
        QTest::addColumn<QByteArray>("value");
        // What Go's %q writes for these values (strconv.Quote), and back.
        QTest::newRow("plain") << QByteArray("\"a b\"") << QByteArray("a b");
        QTest::newRow("empty") << QByteArray("\"\"") << QByteArray("");
        QTest::newRow("two lines") << QByteArray("\"a --pid 1 --vni 1\\nb --pid 2 --vni 2\"")
                                   << QByteArray("a --pid 1 --vni 1\nb --pid 2 --vni 2");
        QTest::newRow("quote and backslash")
            << QByteArray("\"say \\\"hi\\\" \\\\ bye\"") << QByteArray("say \"hi\" \\ bye");
        QTest::newRow("named controls") << QByteArray("\"\\a\\b\\f\\n\\r\\t\\v\"") << QByteArray("\a\b\f\n\r\t\v");
        QTest::newRow("hex") << QByteArray("\"\\x00\\x7f\\xff\"") << QByteArray("\x00\x7f\xff", 3);
        QTest::newRow("octal") << QByteArray("\"\\000\\101\\377\"") << QByteArray("\0A\xff", 3);
        QTest::newRow("u") << QByteArray("\"\\u00e9\\u2028\"") << QByteArray("\xc3\xa9\xe2\x80\xa8");
        QTest::newRow("U") << QByteArray("\"\\U0001f600\"") << QByteArray("\xf0\x9f\x98\x80");
        QTest::newRow("utf-8 kept") << QByteArray("\"caf\xc3\xa9\"") << QByteArray("caf\xc3\xa9");
    }

    void goUnquoteDecodesEveryEscape()
    {
        QFETCH(QByteArray, quoted);
        QFETCH(QByteArray, value);
        std::string out;
        std::string error;
        QVERIFY2(HeartbeatFile::goUnquote(quoted.toStdString(), out, error), error.c_str());
        QCOMPARE(QByteArray::fromStdString(out), value);
    }

    void goUnquoteRefusesMalformedLiterals_data()
    {
        QTest::addColumn<QByteArray>("quoted");
        QTest::addColumn<QString>("reason");
        QTest::newRow("no quotes") << QByteArray("abc") << QStringLiteral("double-quoted");
        QTest::newRow("one quote") << QByteArray("\"") << QStringLiteral("double-quoted");
        QTest::newRow("inner quote") << QByteArray("\"a\"b\"") << QStringLiteral("unescaped quote at byte 2");
        QTest::newRow("raw newline") << QByteArray("\"a\nb\"") << QStringLiteral("raw line break");
        QTest::newRow("trailing backslash") << QByteArray("\"a\\\"") << QStringLiteral("backslash at the end");
        QTest::newRow("backslash at end") << QByteArray("\"a\\\\\\\"") << QStringLiteral("backslash at the end");
        QTest::newRow("short hex") << QByteArray("\"\\x4\"") << QStringLiteral("\\x needs 2 hex digits");
        QTest::newRow("bad hex") << QByteArray("\"\\xg0\"") << QStringLiteral("\\x needs 2 hex digits");
        QTest::newRow("short u") << QByteArray("\"\\u12\"") << QStringLiteral("\\u needs 4 hex digits");
        QTest::newRow("surrogate") << QByteArray("\"\\ud800\"") << QStringLiteral("surrogate");
        QTest::newRow("above unicode") << QByteArray("\"\\U00110000\"") << QStringLiteral("above U+10FFFF");
        QTest::newRow("octal too big") << QByteArray("\"\\400\"") << QStringLiteral("above \\377");
        QTest::newRow("short octal") << QByteArray("\"\\12\"") << QStringLiteral("3 digits");
        QTest::newRow("single quote escape") << QByteArray("\"\\'\"") << QStringLiteral("unknown escape \\'");
        QTest::newRow("unknown escape") << QByteArray("\"\\q\"") << QStringLiteral("unknown escape \\q");
    }

    void goUnquoteRefusesMalformedLiterals()
    {
        QFETCH(QByteArray, quoted);
        QFETCH(QString, reason);
        QString error;
        QCOMPARE(unquote(quoted.toStdString(), &error), QStringLiteral("<error>"));
        QVERIFY2(error.contains(reason), qPrintable(error));
    }

    void annotationValueIsFoundAndUnquoted()
    {
        const std::string file = "kubernetes.io/config.seen=\"2026-12-05T00:00:00Z\"\n"
                                 "podtap.io/heartbeat=\"17\"\n"
                                 "podtap.io/targets=\"a --pid 1 --vni 1\\nb --pid 2 --vni 2\\n\"\n"
                                 "podtap.io/targets-old=\"x\"";
        std::string error;
        const auto value = HeartbeatFile::unquotedAnnotation(file, "podtap.io/targets", &error);
        QVERIFY(value.has_value());
        QCOMPARE(*value, std::string("a --pid 1 --vni 1\nb --pid 2 --vni 2\n"));
        const TargetList list = parseTargetList(*value, defaults());
        QCOMPARE(list.targets.size(), std::size_t(2));
        // An empty value is an empty list, a missing key nothing (the agent takes it as an empty list too).
        QCOMPARE(HeartbeatFile::unquotedAnnotation("k=\"\"", "k", &error).value_or("<none>"), std::string());
        QVERIFY(!HeartbeatFile::unquotedAnnotation(file, "podtap.io/target", &error).has_value());
        error.clear();
        QVERIFY(!HeartbeatFile::unquotedAnnotation("k=\"a\\qb\"", "k", &error).has_value());
        QVERIFY2(
            error.find("the value of k is not a Go-quoted string: unknown escape") != std::string::npos, error.c_str());
    }
};

QTEST_GUILESS_MAIN(TestAgentTargetList)
#include "tst_agent_target_list.moc"
