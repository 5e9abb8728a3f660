// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"
#include "support/sim_process.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace podtap::test;

/// @brief podtap-extcap speaking Wireshark's extcap protocol against kube-sim (no root): its interface and link
/// type, the config dialog listing the sim's contexts, namespaces and pods live, filter validation with libpcap,
/// one-line errors for bad input and failed captures, SIGTERM removing the agent pod, and `podtapctl extcap
/// install` making the real tshark list the interface.
class TestExtcapProtocol final : public QObject
{
    Q_OBJECT

private:
    SimProcess m_sim;
    QTemporaryDir m_scratch;

    static QString extcap() { return builtExecutable(QStringLiteral("app/extcap/podtap-extcap")); }
    static QString podtapctl() { return builtExecutable(QStringLiteral("app/cli/podtapctl")); }

    ProcessResult runExtcap(const QStringList &args, int timeoutMs = 30000) const
    {
        return run(QStringList {extcap()} + args, timeoutMs, {}, m_sim.environment());
    }

    // Wireshark's capture call: podtap-extcap writing into @p fifo, with @p more arguments.
    static QStringList captureArgs(const QString &fifo, const QStringList &more = {})
    {
        return QStringList {QStringLiteral("--capture"), QStringLiteral("--extcap-interface"), QStringLiteral("podtap"),
                   QStringLiteral("--fifo"), fifo} +
            more;
    }

    // The sim's environment with no kubeconfig to be found (@p home stands for the user's home).
    QProcessEnvironment withoutKubeconfig(const QTemporaryDir &home) const
    {
        QProcessEnvironment environment = m_sim.environment();
        environment.insert(QStringLiteral("KUBECONFIG"), home.filePath(QStringLiteral("missing")));
        environment.insert(QStringLiteral("HOME"), home.path());
        return environment;
    }

    static QStringList lines(const QByteArray &text)
    {
        return QString::fromUtf8(text).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    }

    QStringList kubectlNames(const QStringList &what) const
    {
        const ProcessResult result = m_sim.kubectl(QStringList {QStringLiteral("get")} + what +
            QStringList {QStringLiteral("-o"), QStringLiteral("jsonpath={.items[*].metadata.name}")});
        return QString::fromUtf8(result.out).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    }

    // The `value` of every value line for argument @p number.
    static QStringList valuesOf(const QStringList &output, int number)
    {
        QStringList values;
        const QRegularExpression line(QStringLiteral("^value \\{arg=%1\\}\\{value=([^}]*)\\}").arg(number));
        for (const QString &text : output) {
            const QRegularExpressionMatch match = line.match(text);
            if (match.hasMatch()) {
                values << match.captured(1);
            }
        }
        return values;
    }

    // A namespace of the sim with pods, and its pods.
    QString namespaceWithPods(QStringList *pods) const
    {
        for (const QString &ns : kubectlNames({QStringLiteral("namespaces")})) {
            const QStringList names = kubectlNames({QStringLiteral("pods"), QStringLiteral("-n"), ns});
            if (!names.isEmpty() && ns != QLatin1String("podtap")) {
                *pods = names;
                return ns;
            }
        }
        return {};
    }

    // The pods of a namespace of the sim with pods, as NAMESPACE/POD.
    QStringList podRefs() const
    {
        QStringList pods;
        const QString ns = namespaceWithPods(&pods);
        for (QString &pod : pods) {
            pod.prepend(ns + QLatin1Char('/'));
        }
        return pods;
    }

    // The agent pods in the podtap namespace.
    QStringList agentPods() const
    {
        return kubectlNames({QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("podtap")});
    }

    // Starts @p capture on @p pod into @p fifo as Wireshark does, and waits for its agent pod (the sim runs no
    // agent without --rig, so the session then waits for the agent to be ready).
    bool startCapture(QProcess &capture, const QString &fifo, const QString &pod) const
    {
        capture.setProcessEnvironment(m_sim.environment());
        capture.start(extcap(), captureArgs(fifo, {QStringLiteral("--pod"), pod}));
        return capture.waitForStarted(10000) && QTest::qWaitFor([this] { return !agentPods().isEmpty(); }, 30000);
    }

    // Sets the sim's admission refusals (the body of /sim/refusals).
    bool setRefusals(const QByteArray &rules) const
    {
        const QString path = m_scratch.filePath(QStringLiteral("rules.json"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(rules) != rules.size()) {
            return false;
        }
        file.close();
        return m_sim
            .kubectl({QStringLiteral("create"), QStringLiteral("--raw"), QStringLiteral("/sim/refusals"),
                QStringLiteral("-f"), path})
            .ok();
    }

    // A fifo with a reader, as Wireshark's capture child holds it; the reader's descriptor is returned.
    int readableFifo(const QString &path) const
    {
        if (::mkfifo(QFile::encodeName(path).constData(), 0600) != 0) {
            return -1;
        }
        return ::open(QFile::encodeName(path).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    }

    static void verifyOneLineError(const ProcessResult &result, const QString &context)
    {
        QVERIFY2(!result.crashed && !result.timedOut, qPrintable(context));
        QVERIFY2(result.exitCode != 0, qPrintable(context + QStringLiteral(": exit 0")));
        const QStringList errorLines = lines(result.err);
        QVERIFY2(errorLines.size() == 1,
            qPrintable(context + QStringLiteral(": stderr is not one line: ") + QString::fromUtf8(result.err)));
        QVERIFY2(errorLines.first().startsWith(QLatin1String("podtap: ")), qPrintable(errorLines.first()));
        QVERIFY2(errorLines.first().size() > 20, qPrintable(errorLines.first()));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_scratch.isValid());
        QVERIFY2(QFileInfo(extcap()).isExecutable(), qPrintable(extcap()));
        QString error;
        QVERIFY2(m_sim.start({QStringLiteral("--namespaces"), QStringLiteral("2"), QStringLiteral("--nodes"),
                                 QStringLiteral("2"), QStringLiteral("--pods"), QStringLiteral("6"),
                                 QStringLiteral("--seed"), QStringLiteral("7")},
                     &error),
            qPrintable(error));
    }

    void interfacesAndLinkType()
    {
        const ProcessResult interfaces =
            runExtcap({QStringLiteral("--extcap-interfaces"), QStringLiteral("--extcap-version=4.0.17")});
        QVERIFY2(interfaces.ok(), qPrintable(interfaces.describe({QStringLiteral("--extcap-interfaces")})));
        const QStringList out = lines(interfaces.out);
        QCOMPARE(out.size(), 2);
        QVERIFY2(QRegularExpression(QStringLiteral("^extcap \\{version=[0-9.]+\\}")).match(out[0]).hasMatch(),
            qPrintable(out[0]));
        QCOMPARE(out[1], QStringLiteral("interface {value=podtap}{display=Kubernetes pod (podtap)}"));

        const ProcessResult dlts = runExtcap(
            {QStringLiteral("--extcap-dlts"), QStringLiteral("--extcap-interface"), QStringLiteral("podtap")});
        QVERIFY2(dlts.ok(), qPrintable(dlts.describe({QStringLiteral("--extcap-dlts")})));
        const QStringList dlt = lines(dlts.out);
        QCOMPARE(dlt.size(), 1);
        QVERIFY2(
            dlt.first().startsWith(QLatin1String("dlt {number=1}{name=EN10MB}{display=")), qPrintable(dlt.first()));
    }

    void configListsTheSimsNamespacesAndPods()
    {
        const ProcessResult config = runExtcap(
            {QStringLiteral("--extcap-config"), QStringLiteral("--extcap-interface"), QStringLiteral("podtap")});
        QVERIFY2(config.ok(), qPrintable(config.describe({QStringLiteral("--extcap-config")})));
        const QStringList out = lines(config.out);
        // The arguments Wireshark builds the dialog (and the -o extcap.podtap.* preferences) from.
        QStringList calls;
        for (const QString &line : out) {
            const QRegularExpressionMatch match =
                QRegularExpression(QStringLiteral("^arg \\{number=(\\d+)\\}\\{call=--([a-z]+)\\}")).match(line);
            if (match.hasMatch()) {
                QCOMPARE(match.captured(1).toInt(), calls.size());
                calls << match.captured(2);
            }
        }
        QCOMPARE(calls,
            QStringList({QStringLiteral("context"), QStringLiteral("namespace"), QStringLiteral("pod"),
                QStringLiteral("interface"), QStringLiteral("direction"), QStringLiteral("destination"),
                QStringLiteral("duration"), QStringLiteral("kubeconfig"), QStringLiteral("agentnamespace")}));
        QVERIFY2(out.filter(QStringLiteral("{call=--namespace}")).first().contains(QLatin1String("{reload=true}")),
            qPrintable(out.join(QLatin1Char('\n'))));
        QVERIFY(out.filter(QStringLiteral("{call=--pod}")).first().contains(QLatin1String("{reload=true}")));
        QVERIFY(out.filter(QStringLiteral("{call=--direction}")).first().contains(QLatin1String("{type=radio}")));

        // Context from the kubeconfig, the current one preselected.
        const QString currentContext =
            QString::fromUtf8(m_sim.kubectl({QStringLiteral("config"), QStringLiteral("current-context")}).out)
                .trimmed();
        QCOMPARE(valuesOf(out, 0), QStringList {currentContext});
        QVERIFY(out.filter(QStringLiteral("value {arg=0}")).first().endsWith(QLatin1String("{default=true}")));
        // Namespaces live from the API, as kubectl lists them.
        QStringList namespaces = valuesOf(out, 1);
        QStringList expected = kubectlNames({QStringLiteral("namespaces")});
        namespaces.sort();
        expected.sort();
        QCOMPARE(namespaces, expected);
        QCOMPARE(valuesOf(out, 4),
            QStringList({QStringLiteral("both"), QStringLiteral("ingress"), QStringLiteral("egress")}));
        QCOMPARE(valuesOf(out, 5), QStringList({QStringLiteral("local"), QStringLiteral("api")}));
    }

    void reloadAnswersOnlyValueLines()
    {
        QStringList pods;
        const QString ns = namespaceWithPods(&pods);
        QVERIFY2(!ns.isEmpty(), "the sim should have a namespace with pods");
        const ProcessResult reload = runExtcap({QStringLiteral("--extcap-config"), QStringLiteral("--extcap-interface"),
            QStringLiteral("podtap"), QStringLiteral("--extcap-reload-option"), QStringLiteral("pod"),
            QStringLiteral("--namespace"), ns, QStringLiteral("--pod"), ns + QLatin1Char('/') + pods.first()});
        QVERIFY2(reload.ok(), qPrintable(reload.describe({QStringLiteral("--extcap-reload-option pod")})));
        const QStringList out = lines(reload.out);
        for (const QString &line : out) {
            QVERIFY2(line.startsWith(QLatin1String("value {arg=2}")), qPrintable(line));
        }
        QStringList listed = valuesOf(out, 2);
        QStringList expected;
        for (const QString &pod : pods) {
            expected << ns + QLatin1Char('/') + pod;
        }
        listed.sort();
        expected.sort();
        QCOMPARE(listed, expected);
        // The pod already chosen stays chosen.
        const QStringList chosen = out.filter(QStringLiteral("{default=true}"));
        QCOMPARE(chosen.size(), 1);
        QVERIFY2(
            chosen.first().contains(QStringLiteral("{value=%1/%2}").arg(ns, pods.first())), qPrintable(chosen.first()));

        const ProcessResult contexts =
            runExtcap({QStringLiteral("--extcap-config"), QStringLiteral("--extcap-interface"),
                QStringLiteral("podtap"), QStringLiteral("--extcap-reload-option"), QStringLiteral("context")});
        QVERIFY(contexts.ok());
        QCOMPARE(lines(contexts.out).size(), 1);
        QVERIFY(lines(contexts.out).first().startsWith(QLatin1String("value {arg=0}")));

        // An unreachable API server: the dialog's list says why instead of staying silently empty.
        QTemporaryDir home;
        const ProcessResult unreachable =
            run({extcap(), QStringLiteral("--extcap-config"), QStringLiteral("--extcap-interface"),
                    QStringLiteral("podtap"), QStringLiteral("--extcap-reload-option"), QStringLiteral("pod")},
                30000, {}, withoutKubeconfig(home));
        QVERIFY(unreachable.ok());
        QCOMPARE(lines(unreachable.out).size(), 1);
        QVERIFY2(lines(unreachable.out).first().startsWith(QLatin1String("value {arg=2}{value=}{display=(")),
            unreachable.out.constData());
    }

    void captureFilterIsValidatedWithLibpcap()
    {
        const QStringList base {
            QStringLiteral("--extcap-interface"), QStringLiteral("podtap"), QStringLiteral("--extcap-capture-filter")};
        const ProcessResult valid = runExtcap(base + QStringList {QStringLiteral("udp port 9999 and host 192.0.2.1")});
        QVERIFY2(valid.ok(), qPrintable(valid.describe({QStringLiteral("valid filter")})));
        QCOMPARE(valid.out, QByteArray());

        const ProcessResult invalid = runExtcap(base + QStringList {QStringLiteral("udp port nine\nthousand")});
        // Wireshark reads the reason from stdout of a run that succeeded.
        QVERIFY2(invalid.ok(), qPrintable(invalid.describe({QStringLiteral("invalid filter")})));
        const QStringList out = lines(invalid.out);
        QCOMPARE(out.size(), 1);
        QVERIFY2(out.first().contains(QLatin1String("does not compile")), qPrintable(out.first()));
        QVERIFY2(out.first().contains(QLatin1String("nine")), qPrintable(out.first()));
    }

    void badArgumentsGiveOneLineErrors()
    {
        const QList<QStringList> cases {
            {},
            {QStringLiteral("--no-such-option")},
            {QStringLiteral("stray")},
            {QStringLiteral("--extcap-dlts")},
            {QStringLiteral("--extcap-dlts"), QStringLiteral("--extcap-interface"), QStringLiteral("eth0")},
            {QStringLiteral("--extcap-config"), QStringLiteral("--extcap-interface"), QStringLiteral("podtap"),
                QStringLiteral("--extcap-reload-option"), QStringLiteral("nonsense")},
            {QStringLiteral("--capture"), QStringLiteral("--extcap-interface"), QStringLiteral("podtap")},
            {QStringLiteral("--capture"), QStringLiteral("--extcap-config"), QStringLiteral("--extcap-interface"),
                QStringLiteral("podtap")},
            {QStringLiteral("--extcap-interface")},
            {QStringLiteral("--extcap-interface"), QStringLiteral("pod\ntap\n"), QStringLiteral("--extcap-dlts")},
        };
        for (const QStringList &args : cases) {
            verifyOneLineError(runExtcap(args), args.join(QLatin1Char(' ')));
        }
    }

    void fuzzedArgumentsNeverCrash()
    {
        // Random mixes of the protocol's words and hostile values. A run may succeed (a valid question) or fail,
        // but it never crashes or hangs, and a failure says why in one line. No kubeconfig: --capture fails fast.
        QTemporaryDir home;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("HOME"), home.path());
        environment.insert(QStringLiteral("KUBECONFIG"), home.filePath(QStringLiteral("missing")));
        const QStringList words {QStringLiteral("--extcap-interfaces"), QStringLiteral("--extcap-dlts"),
            QStringLiteral("--extcap-config"), QStringLiteral("--capture"), QStringLiteral("--extcap-interface"),
            QStringLiteral("--extcap-reload-option"), QStringLiteral("--extcap-capture-filter"),
            QStringLiteral("--fifo"), QStringLiteral("--pod"), QStringLiteral("--namespace"),
            QStringLiteral("--context"), QStringLiteral("--direction"), QStringLiteral("--destination"),
            QStringLiteral("--duration"), QStringLiteral("--interface"), QStringLiteral("--extcap-version=4.0"),
            QStringLiteral("-x"), QStringLiteral("--")};
        const QStringList values {QStringLiteral("podtap"), QStringLiteral("pod"), QStringLiteral("a/b/c"),
            QStringLiteral("/"), QString(), QStringLiteral("{}}{"), QStringLiteral("ns/pod"), QStringLiteral("-1"),
            QStringLiteral("99999999999999999999d"), QStringLiteral("node:x"), QStringLiteral("ip:2001:db8::1"),
            QString(300, QLatin1Char('x')), QStringLiteral("tcp port"), QStringLiteral("\xE2\x80\x8Bzero"),
            home.filePath(QStringLiteral("nofifo"))};
        QRandomGenerator random(20261204);
        for (int round = 0; round < 60; ++round) {
            QStringList args;
            const int count = int(random.bounded(1, 7));
            for (int i = 0; i < count; ++i) {
                args << words[int(random.bounded(words.size()))];
                if (random.bounded(3) != 0) {
                    args << values[int(random.bounded(values.size()))];
                }
            }
            const ProcessResult result = run(QStringList {extcap()} + args, 30000, {}, environment);
            const QString context = QStringLiteral("podtap-extcap %1").arg(args.join(QLatin1Char(' ')));
            QVERIFY2(!result.crashed && !result.timedOut, qPrintable(context));
            if (result.exitCode != 0) {
                verifyOneLineError(result, context);
            }
        }
    }

    void captureErrorsAreOneLine()
    {
        // No pod chosen: what to do in Wireshark.
        const QString unused = m_scratch.filePath(QStringLiteral("unused"));
        verifyOneLineError(runExtcap(captureArgs(unused)), QStringLiteral("no pod"));
        const ProcessResult noPod = runExtcap(captureArgs(unused));
        QVERIFY2(noPod.err.contains("extcap.podtap.pod:NAMESPACE/POD"), noPod.err.constData());

        // A pod that does not exist: the session's own error, after Wireshark opened its pipe.
        const QString fifo = m_scratch.filePath(QStringLiteral("missing-pod.fifo"));
        const int reader = readableFifo(fifo);
        QVERIFY(reader >= 0);
        const ProcessResult missing =
            runExtcap(captureArgs(fifo, {QStringLiteral("--pod"), QStringLiteral("default/no-such-pod")}), 60000);
        ::close(reader);
        verifyOneLineError(missing, QStringLiteral("missing pod"));
        QVERIFY2(missing.err.contains("no-such-pod"), missing.err.constData());

        // A bad filter at capture time (Wireshark passes it on): refused before anything is created.
        const QStringList badFilterArgs {QStringLiteral("--pod"), QStringLiteral("default/x"),
            QStringLiteral("--extcap-capture-filter"), QStringLiteral("port eighty")};
        const ProcessResult badFilter = runExtcap(captureArgs(fifo, badFilterArgs));
        verifyOneLineError(badFilter, QStringLiteral("bad filter"));
        QVERIFY2(badFilter.err.contains("eighty"), badFilter.err.constData());

        // Wireshark's capture child may open the fifo only after the extcap gave up: a refusal must still open
        // and close its end, or the reader waits for a writer for ever (tshark hung on it). A reader then sees
        // the writer gone (POLLHUP), which it never does on a fifo that no writer opened.
        const QString heldFifo = m_scratch.filePath(QStringLiteral("refusal.fifo"));
        const int heldReader = readableFifo(heldFifo);
        QVERIFY(heldReader >= 0);
        const ProcessResult refusedWithReader = runExtcap(captureArgs(heldFifo, badFilterArgs));
        pollfd hangup {heldReader, POLLIN, 0};
        const int polled = ::poll(&hangup, 1, 0);
        ::close(heldReader);
        verifyOneLineError(refusedWithReader, QStringLiteral("bad filter, reader waiting"));
        QVERIFY2(polled == 1 && (hangup.revents & POLLHUP) != 0,
            "the refused capture never opened Wireshark's fifo, so its reader would wait for ever");

        // A destination that does not end in podtap's own stream on this machine.
        for (const QString &destination :
            {QStringLiteral("local-interface"), QStringLiteral("node:node-001"), QStringLiteral("ip:192.0.2.9")}) {
            const ProcessResult elsewhere = runExtcap(captureArgs(fifo,
                {QStringLiteral("--pod"), QStringLiteral("default/x"), QStringLiteral("--destination"), destination}));
            verifyOneLineError(elsewhere, destination);
            QCOMPARE(elsewhere.exitCode, 2);
            QVERIFY2(elsewhere.err.contains(destination.toUtf8()), elsewhere.err.constData());
        }

        // No cluster at all.
        QTemporaryDir home;
        verifyOneLineError(
            run(QStringList {extcap()} + captureArgs(fifo, {QStringLiteral("--pod"), QStringLiteral("default/x")}),
                30000, {}, withoutKubeconfig(home)),
            QStringLiteral("no kubeconfig"));
    }

    void preflightRefusalIsOneLineWithItsFix()
    {
        QVERIFY(setRefusals("{\"podSecurity\":{\"podtap\":\"baseline\"}}"));
        const QString fifo = m_scratch.filePath(QStringLiteral("refused.fifo"));
        const int reader = readableFifo(fifo);
        QVERIFY(reader >= 0);
        const ProcessResult refused = runExtcap(captureArgs(fifo, {QStringLiteral("--pod"), podRefs().first()}), 60000);
        ::close(reader);
        QVERIFY(setRefusals("{}"));
        verifyOneLineError(refused, QStringLiteral("PodSecurity refusal"));
        QVERIFY2(refused.err.contains("kubectl label ns podtap pod-security.kubernetes.io/enforce=privileged"),
            refused.err.constData());
        QVERIFY2(agentPods().isEmpty(), "a refused capture leaves no agent pod");
    }

    void sigtermRemovesTheAgentPod()
    {
        const QString fifo = m_scratch.filePath(QStringLiteral("sigterm.fifo"));
        const int reader = readableFifo(fifo);
        QVERIFY(reader >= 0);
        QProcess capture;
        QVERIFY2(startCapture(capture, fifo, podRefs().first()), capture.readAllStandardError().constData());
        // Wireshark's pipe got the pcapng section header already.
        QByteArray header(4, '\0');
        QVERIFY(::read(reader, header.data(), 4) == 4);
        QCOMPARE(header, QByteArray::fromHex("0a0d0d0a"));

        ::kill(pid_t(capture.processId()), SIGTERM);
        QVERIFY(capture.waitForFinished(60000));
        ::close(reader);
        QCOMPARE(capture.exitStatus(), QProcess::NormalExit);
        QVERIFY2(capture.exitCode() == 0, capture.readAllStandardError().constData());
        QCOMPARE(capture.readAllStandardError(), QByteArray());
        QTRY_VERIFY_WITH_TIMEOUT(agentPods().isEmpty(), 20000);
    }

    void readerGoingAwayStopsTheCapture()
    {
        const QString fifo = m_scratch.filePath(QStringLiteral("reader-gone.fifo"));
        const int reader = readableFifo(fifo);
        QVERIFY(reader >= 0);
        QProcess capture;
        QVERIFY2(startCapture(capture, fifo, podRefs().last()), capture.readAllStandardError().constData());
        // Wireshark's capture child exits without a signal to the extcap.
        ::close(reader);
        QVERIFY(capture.waitForFinished(60000));
        QCOMPARE(capture.exitStatus(), QProcess::NormalExit);
        QVERIFY2(capture.exitCode() == 0, capture.readAllStandardError().constData());
        QTRY_VERIFY_WITH_TIMEOUT(agentPods().isEmpty(), 20000);
    }

    void installMakesTsharkListThePodtapInterface()
    {
        QTemporaryDir home;
        QProcessEnvironment environment = m_sim.environment();
        environment.insert(QStringLiteral("HOME"), home.path());
        environment.remove(QStringLiteral("XDG_CONFIG_HOME"));
        const QStringList tsharkD {QStringLiteral("tshark"), QStringLiteral("-D")};
        QVERIFY2(!run(tsharkD, 60000, {}, environment).out.contains("podtap"), "listed before install?");

        const ProcessResult install =
            run({podtapctl(), QStringLiteral("extcap"), QStringLiteral("install")}, 30000, {}, environment);
        QVERIFY2(install.ok(), qPrintable(install.describe({QStringLiteral("podtapctl extcap install")})));
        const QString wireshark40 = home.filePath(QStringLiteral(".config/wireshark/extcap/podtap-extcap"));
        const QString wireshark42 = home.filePath(QStringLiteral(".local/lib/wireshark/extcap/podtap-extcap"));
        QVERIFY2(install.out.contains(wireshark40.toUtf8()) && install.out.contains(wireshark42.toUtf8()),
            install.out.constData());
        QCOMPARE(QFileInfo(wireshark40).symLinkTarget(), QFileInfo(extcap()).canonicalFilePath());

        const ProcessResult listed = run(tsharkD, 60000, {}, environment);
        QVERIFY2(listed.ok(), qPrintable(listed.describe(tsharkD)));
        QVERIFY2(QRegularExpression(QStringLiteral("(?m)^\\d+\\. podtap \\(Kubernetes pod \\(podtap\\)\\)$"))
                     .match(QString::fromUtf8(listed.out))
                     .hasMatch(),
            listed.out.constData());
        // Installing twice changes nothing.
        QVERIFY(run({podtapctl(), QStringLiteral("extcap"), QStringLiteral("install")}, 30000, {}, environment).ok());

        // uninstall removes podtap's links, and only them.
        const ProcessResult uninstall =
            run({podtapctl(), QStringLiteral("extcap"), QStringLiteral("uninstall")}, 30000, {}, environment);
        QVERIFY2(uninstall.ok(), qPrintable(uninstall.describe({QStringLiteral("podtapctl extcap uninstall")})));
        QVERIFY(!QFileInfo(wireshark40).isSymLink() && !QFileInfo(wireshark42).isSymLink());
        QVERIFY(!run(tsharkD, 60000, {}, environment).out.contains("podtap"));
        QFile foreign(wireshark40);
        QVERIFY(foreign.open(QIODevice::WriteOnly));
        foreign.write("#!/bin/sh\n");
        foreign.close();
        const ProcessResult refused =
            run({podtapctl(), QStringLiteral("extcap"), QStringLiteral("uninstall")}, 30000, {}, environment);
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains("not a link podtap made"), refused.err.constData());
        QVERIFY(QFileInfo(wireshark40).isFile());
        const ProcessResult refusedInstall =
            run({podtapctl(), QStringLiteral("extcap"), QStringLiteral("install")}, 30000, {}, environment);
        QCOMPARE(refusedInstall.exitCode, 1);
        QVERIFY2(refusedInstall.err.contains("is not a podtap link"), refusedInstall.err.constData());
        QVERIFY(QFileInfo(wireshark40).isFile() && !QFileInfo(wireshark40).isSymLink());
    }

    void installFindsTheExtcapInTheInstalledLayout()
    {
        // As the package lays them out: podtapctl in bin/, the extcap in libexec/podtap/.
        QTemporaryDir prefix;
        QVERIFY(QDir().mkpath(prefix.filePath(QStringLiteral("bin"))));
        QVERIFY(QDir().mkpath(prefix.filePath(QStringLiteral("libexec/podtap"))));
        const QString installedCtl = prefix.filePath(QStringLiteral("bin/podtapctl"));
        const QString installedExtcap = prefix.filePath(QStringLiteral("libexec/podtap/podtap-extcap"));
        QVERIFY(QFile::copy(podtapctl(), installedCtl));
        QVERIFY(QFile::copy(extcap(), installedExtcap));
        QProcessEnvironment environment = m_sim.environment();
        environment.insert(QStringLiteral("HOME"), prefix.filePath(QStringLiteral("home")));
        environment.remove(QStringLiteral("XDG_CONFIG_HOME"));
        environment.remove(QStringLiteral("PODTAP_EXTCAP"));
        const QString folder = prefix.filePath(QStringLiteral("extcap-folder"));
        const ProcessResult install =
            run({installedCtl, QStringLiteral("extcap"), QStringLiteral("install"), QStringLiteral("--dir"), folder},
                30000, {}, environment);
        QVERIFY2(install.ok(), qPrintable(install.describe({QStringLiteral("installed podtapctl extcap install")})));
        QCOMPARE(QFileInfo(folder + QStringLiteral("/podtap-extcap")).symLinkTarget(),
            QFileInfo(installedExtcap).canonicalFilePath());
        // --dir: that folder only.
        QVERIFY(!QFileInfo::exists(prefix.filePath(QStringLiteral("home/.config/wireshark/extcap"))));
    }

    void cleanupTestCase() { QVERIFY(m_sim.stop()); }
};

QTEST_GUILESS_MAIN(TestExtcapProtocol)
#include "tst_extcap_protocol.moc"
