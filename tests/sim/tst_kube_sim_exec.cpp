// SPDX-License-Identifier: Apache-2.0
// kube-sim's pods/exec judged by the real kubectl, which speaks WebSocket (v5.channel.k8s.io) for
// exec: stdout, stderr, exit codes, stdin EOF, an unknown executable, a refusal, long output.
#include "support/sim_process.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using podtap::test::ProcessResult;
using podtap::test::SimProcess;

namespace {

QByteArray twoContainerPod(const QByteArray &name, const QByteArray &ns)
{
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
        "\nspec:\n  containers:\n  - name: main\n    image: registry.example.com/exec:1.0\n  - name: sidecar\n"
        "    image: registry.example.com/exec-sidecar:1.0\n";
}

} // namespace

class TestKubeSimExec : public QObject
{
    Q_OBJECT

private:
    SimProcess m_sim;

    ProcessResult kubectl(const QStringList &args, const QByteArray &input = {})
    {
        return m_sim.kubectl(args, 30000, input);
    }
    /// kubectl exec into @p pod in namespace exec (container @p container when given).
    ProcessResult exec(const QByteArray &pod, const QStringList &command, const QByteArray &input = {},
        const QString &container = {}, const QString &ns = QStringLiteral("exec"))
    {
        QStringList args {QStringLiteral("exec"), QStringLiteral("-n"), ns, QString::fromUtf8(pod)};
        if (!input.isEmpty()) {
            args << QStringLiteral("-i");
        }
        if (!container.isEmpty()) {
            args << QStringLiteral("-c") << container;
        }
        return kubectl(args + QStringList {QStringLiteral("--")} + command, input);
    }
    QJsonObject stats()
    {
        const ProcessResult result =
            kubectl({QStringLiteral("get"), QStringLiteral("--raw"), QStringLiteral("/sim/stats")});
        return QJsonDocument::fromJson(result.out).object();
    }
    void createRunningPod(const QByteArray &name, const QByteArray &ns)
    {
        const QString file = m_sim.writeFile(QString::fromUtf8(name + ".yaml"), twoContainerPod(name, ns));
        const ProcessResult created = kubectl({QStringLiteral("create"), QStringLiteral("-f"), file});
        QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create")})));
        QDeadlineTimer deadline(10000);
        QByteArray phase;
        while (!deadline.hasExpired() && phase != "Running") {
            phase =
                kubectl({QStringLiteral("get"), QStringLiteral("pod"), QString::fromUtf8(name), QStringLiteral("-n"),
                            QString::fromUtf8(ns), QStringLiteral("-o"), QStringLiteral("jsonpath={.status.phase}")})
                    .out;
            if (phase != "Running") {
                QTest::qWait(50);
            }
        }
        QCOMPARE(phase, QByteArray("Running"));
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!QFile::exists(QStringLiteral("/usr/bin/kubectl"))) {
            QSKIP("kubectl is not installed (scripts/install-deps.sh test installs it)");
        }
        QString error;
        QVERIFY2(m_sim.start({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--nodes"),
                                 QStringLiteral("2"), QStringLiteral("--pods"), QStringLiteral("4"),
                                 QStringLiteral("--forbid"), QStringLiteral("create:pods/exec:sealed"),
                                 QStringLiteral("--start-delay"), QStringLiteral("50")},
                     &error),
            qPrintable(error));
        for (const char *ns : {"exec", "sealed"}) {
            const ProcessResult created =
                kubectl({QStringLiteral("create"), QStringLiteral("namespace"), QString::fromLatin1(ns)});
            QVERIFY2(created.ok(), qPrintable(created.describe({QStringLiteral("kubectl create namespace")})));
        }
        createRunningPod("target", "exec");
        createRunningPod("target", "sealed");
    }

    void stdoutAndSuccess()
    {
        const qint64 before = stats().value(QLatin1String("execsV5")).toInteger();
        const ProcessResult result =
            exec("target", {QStringLiteral("echo"), QStringLiteral("hello"), QStringLiteral("from kube-sim")}, {},
                QStringLiteral("main"));
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl exec -- echo")})));
        QCOMPARE(result.out, QByteArray("hello from kube-sim\n"));
        QCOMPARE(result.err, QByteArray());
        // kubectl took the WebSocket path (v5), not a fallback.
        QCOMPARE(stats().value(QLatin1String("execsV5")).toInteger(), before + 1);
    }

    void stderrIsSeparate()
    {
        const ProcessResult result = exec("target",
            {QStringLiteral("stderr"), QStringLiteral("to"), QStringLiteral("stderr")}, {}, QStringLiteral("main"));
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl exec -- stderr")})));
        QCOMPARE(result.out, QByteArray());
        QCOMPARE(result.err, QByteArray("to stderr\n"));
    }

    void exitCodeComesThrough()
    {
        const ProcessResult result =
            exec("target", {QStringLiteral("exit"), QStringLiteral("3")}, {}, QStringLiteral("main"));
        QCOMPARE(result.exitCode, 3);
        QVERIFY2(result.err.contains("command terminated with exit code 3"), result.err.constData());
    }

    void stdinEofEndsCat()
    {
        // kubectl closes stdin with the v5 close signal once its own stdin ends; cat then exits 0.
        const QByteArray input = "first line\nsecond line\n";
        const ProcessResult result = exec("target", {QStringLiteral("cat")}, input, QStringLiteral("main"));
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl exec -i -- cat")})));
        QCOMPARE(result.out, input);
        QCOMPARE(stats().value(QLatin1String("execsRunning")).toInteger(), 0);
    }

    void catWithoutStdinEndsAtOnce()
    {
        // No -i: the exec has no stdin, so cat sees end of file at once.
        const ProcessResult result = exec("target", {QStringLiteral("cat")}, {}, QStringLiteral("main"));
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl exec -- cat")})));
        QCOMPARE(result.out, QByteArray());
    }

    void containerChoiceMatters()
    {
        const ProcessResult sidecar = exec("target", {QStringLiteral("hostname")}, {}, QStringLiteral("sidecar"));
        QVERIFY2(sidecar.ok(), qPrintable(sidecar.describe({QStringLiteral("kubectl exec -c sidecar")})));
        QCOMPARE(sidecar.out, QByteArray("target\n"));
        const ProcessResult wrong = exec("target", {QStringLiteral("hostname")}, {}, QStringLiteral("nope"));
        QVERIFY(!wrong.ok());
        QVERIFY2(wrong.err.contains("container nope is not valid for pod target") ||
                wrong.err.contains("container nope not found in pod target"),
            wrong.err.constData());
    }

    void unknownExecutableIsAnInternalError()
    {
        const ProcessResult result = exec("target", {QStringLiteral("no-such-tool")}, {}, QStringLiteral("main"));
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.err.contains("Internal error occurred: error executing command in container") &&
                result.err.contains("exec: \"no-such-tool\": executable file not found in $PATH"),
            result.err.constData());
    }

    void longOutputArrivesWhole()
    {
        // About 1.6 MB: more than the server lets pile up unsent, so output pauses and resumes.
        const ProcessResult result =
            exec("target", {QStringLiteral("seq"), QStringLiteral("220000")}, {}, QStringLiteral("main"));
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl exec -- seq")})));
        const QByteArrayList lines = result.out.split('\n');
        QCOMPARE(lines.size(), 220001);
        QCOMPARE(lines.at(0), QByteArray("1"));
        QCOMPARE(lines.at(219999), QByteArray("220000"));
        QCOMPARE(lines.at(123456), QByteArray("123457"));
    }

    void forbiddenExecIsRefused()
    {
        const ProcessResult result = exec("target", {QStringLiteral("echo"), QStringLiteral("no")}, {},
            QStringLiteral("main"), QStringLiteral("sealed"));
        QVERIFY(!result.ok());
        QVERIFY2(result.err.contains("Error from server (Forbidden): pods \"target\" is forbidden: User \"alice\" "
                                     "cannot create resource \"pods/exec\" in API group \"\" in the namespace "
                                     "\"sealed\""),
            result.err.constData());
        QVERIFY(!result.out.contains("no"));
    }

    void missingPodIsNotFound()
    {
        const ProcessResult result = exec("ghost", {QStringLiteral("echo")});
        QVERIFY(!result.ok());
        QVERIFY2(result.err.contains("pods \"ghost\" not found"), result.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestKubeSimExec)
#include "tst_kube_sim_exec.moc"
