// SPDX-License-Identifier: Apache-2.0
// podtap-extcap: Kubernetes pods as a capture interface in Wireshark (its extcap protocol).
//
// Wireshark runs this program for every question it has (interfaces, link types, the config dialog, filter
// validation) and once per capture with --capture --fifo F. Answers go to stdout in the protocol's sentences;
// an error goes to stderr as one line (Wireshark shows it in a dialog) with a nonzero exit.
#include "extcap_interface.h"
#include "unix_signals.h"

#include "capture/capture_filter_compiler.h"
#include "kube/cluster_connection.h"
#include "kube/kube_client.h"
#include "kube/kubeconfig.h"
#include "podtap/version.h"
#include "tap/tap_request.h"
#include "tap/tap_session.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QTimer>
#include <QUrl>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace podtap;
using namespace podtap::extcap;

namespace {

// The API server answers a dialog's question within this long, or the dialog shows no values: Wireshark asks at
// every start and waits for the answer.
constexpr int kListTimeoutMs = 4000;

void printLines(const QStringList &lines)
{
    for (const QString &line : lines) {
        const QByteArray bytes = line.toUtf8() + '\n';
        std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stdout);
    }
    std::fflush(stdout);
}

// The one line Wireshark shows for a failure.
int fail(const QString &message, int code = 1)
{
    const QByteArray bytes = QByteArrayLiteral("podtap: ") + oneLine(message).toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stderr);
    std::fflush(stderr);
    return code;
}

kube::Kubeconfig loadKubeconfig(const ExtcapArguments &arguments)
{
    kube::KubeconfigLoadOptions options;
    options.explicitPath = arguments.kubeconfig;
    return kube::Kubeconfig::load(options);
}

// GET @p path with a deadline; the JSON object, or @p error naming what failed.
QJsonObject getJson(kube::KubeClient *client, const QString &path, QString *error)
{
    kube::KubeReply *reply = client->get(path);
    if (!reply->isFinished()) {
        QEventLoop loop;
        QTimer deadline;
        deadline.setSingleShot(true);
        QObject::connect(reply, &kube::KubeReply::finished, &loop, &QEventLoop::quit);
        QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
        deadline.start(kListTimeoutMs);
        loop.exec();
    }
    if (!reply->isFinished()) {
        *error = QStringLiteral("GET %1: no answer within %2 s; check that the API server is reachable")
                     .arg(path)
                     .arg(kListTimeoutMs / 1000);
        return {};
    }
    if (!reply->ok()) {
        *error = QStringLiteral("GET %1: %2").arg(path, reply->error().toString());
        return {};
    }
    return reply->json();
}

// The values of the namespace or pod selector, listed from the API server.
QList<ArgumentValue> liveValues(const QString &call, const ExtcapArguments &arguments, QString *error)
{
    kube::ClusterConnection connection = kube::connectToCluster(arguments.kubeconfig, arguments.context);
    if (!connection.client) {
        *error = connection.error;
        return {};
    }
    const PodChoice choice = podChoice(arguments, connection.namespaceName);
    QList<ArgumentValue> values;
    if (call == QLatin1String("namespace")) {
        const QJsonObject list = getJson(connection.client.get(), QStringLiteral("/api/v1/namespaces"), error);
        for (const QJsonValue &item : list.value(QStringLiteral("items")).toArray()) {
            const QString name = item[QStringLiteral("metadata")][QStringLiteral("name")].toString();
            values << ArgumentValue {name, name, name == choice.namespaceName};
        }
    } else if (call == QLatin1String("pod")) {
        const QJsonObject list = getJson(connection.client.get(),
            QStringLiteral("/api/v1/namespaces/%1/pods")
                .arg(QString::fromUtf8(QUrl::toPercentEncoding(choice.namespaceName))),
            error);
        for (const QJsonValue &item : list.value(QStringLiteral("items")).toArray()) {
            const QString name = item[QStringLiteral("metadata")][QStringLiteral("name")].toString();
            const QJsonValue status = item[QStringLiteral("status")];
            QString display = name;
            const QString phase = status[QStringLiteral("phase")].toString();
            const QString ip = status[QStringLiteral("podIP")].toString();
            const QString node = item[QStringLiteral("spec")][QStringLiteral("nodeName")].toString();
            QStringList details;
            for (const QString &detail : {phase, ip, node}) {
                if (!detail.isEmpty()) {
                    details << detail;
                }
            }
            if (!details.isEmpty()) {
                display += QStringLiteral(" (%1)").arg(details.join(QStringLiteral(", ")));
            }
            // NS/POD: the value alone names the pod, whatever the namespace selector says later.
            values << ArgumentValue {choice.namespaceName + QLatin1Char('/') + name, display, name == choice.pod};
        }
    }
    return values;
}

QList<ArgumentValue> valuesOf(const QString &call, const ExtcapArguments &arguments, QString *error)
{
    if (call == QLatin1String("namespace") || call == QLatin1String("pod")) {
        return liveValues(call, arguments, error);
    }
    return staticValues(call, arguments, loadKubeconfig(arguments));
}

int printConfig(const ExtcapArguments &arguments)
{
    QStringList lines;
    QStringList problems;
    const QStringList calls = arguments.reloadOption.isEmpty()
        ? QStringList {QStringLiteral("context"), QStringLiteral("namespace"), QStringLiteral("pod"),
              QStringLiteral("direction"), QStringLiteral("destination")}
        : QStringList {arguments.reloadOption.startsWith(QLatin1String("--")) ? arguments.reloadOption.mid(2)
                                                                              : arguments.reloadOption};
    if (arguments.reloadOption.isEmpty()) {
        lines << argumentLines();
    }
    for (const QString &call : calls) {
        QString error;
        const QList<ArgumentValue> values = valuesOf(call, arguments, &error);
        if (!error.isEmpty() && !problems.contains(error)) {
            problems << error;
        }
        for (const ArgumentValue &value : values) {
            lines << valueLine(argumentNumber(call), value);
        }
        if (!error.isEmpty() && values.isEmpty()) {
            // An entry with no value: the dialog shows why its list is empty, and choosing it taps nothing.
            lines << valueLine(argumentNumber(call), ArgumentValue {{}, QStringLiteral("(%1)").arg(error), false});
        }
    }
    printLines(lines);
    // Wireshark and tshark ask for the config at every start, and whatever lands on stderr then reaches the
    // operator's terminal for every capture, podtap's or not; the dialog shows the reason in its empty lists.
    if (arguments.debug) {
        for (const QString &problem : problems) {
            std::fprintf(stderr, "podtap: %s\n", oneLine(problem).toUtf8().constData());
        }
    }
    return 0;
}

int validateFilter(const ExtcapArguments &arguments)
{
    // The protocol: nothing on stdout means valid; otherwise the first line is the reason, and the exit is 0 so
    // that Wireshark reads it (a failed run says nothing about the filter).
    const CompiledFilter compiled = compileCaptureFilter(arguments.captureFilter);
    if (!compiled.ok()) {
        printLines({oneLine(compiled.error)});
    }
    return 0;
}

/// @brief Wireshark's end of the capture: the fifo it reads, watched for the reader going away.
///
/// Opening a fifo for writing blocks until a reader opens it; non-blocking tries keep the event loop (and so
/// SIGTERM) alive while Wireshark's capture child is not there yet.
class FifoWatch final : public QObject
{
public:
    explicit FifoWatch(QString path)
        : m_path(std::move(path))
    {
    }
    ~FifoWatch() override
    {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Q_DISABLE_COPY_MOVE(FifoWatch)

    /// Calls @p opened once a reader is there, @p gone when it went away, @p failed(reason) when the path is no
    /// pipe Wireshark made.
    void start(std::function<void()> opened, std::function<void()> gone, std::function<void(QString)> failed)
    {
        connect(&m_timer, &QTimer::timeout, this, [this, opened, gone, failed] {
            if (m_fd < 0) {
                m_fd = ::open(QFile::encodeName(m_path).constData(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
                if (m_fd >= 0) {
                    m_timer.setInterval(500);
                    opened();
                } else if (errno != ENXIO && errno != EINTR) {
                    m_timer.stop();
                    failed(QStringLiteral("cannot open the capture pipe %1: %2").arg(m_path, qt_error_string(errno)));
                }
                return;
            }
            pollfd descriptor {m_fd, POLLOUT, 0};
            if (::poll(&descriptor, 1, 0) > 0 && (descriptor.revents & (POLLERR | POLLHUP)) != 0) {
                m_timer.stop();
                gone();
            }
        });
        m_timer.start(50);
    }

private:
    QString m_path;
    QTimer m_timer;
    int m_fd = -1;
};

/// Opens Wireshark's end of the fifo and closes it again, so that its reader sees the writer gone. Wireshark's
/// capture child may open the fifo only after a refused capture gave up; a fifo no writer ever opened keeps that
/// reader waiting for ever (tshark hung on it). Gives up after a few seconds without a reader, and at once when
/// the path is no fifo.
void releaseFifo(const QString &path)
{
    const QByteArray name = QFile::encodeName(path);
    for (int attempt = 0; attempt < 60; ++attempt) {
        const int fd = ::open(name.constData(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            ::close(fd);
            return;
        }
        if (errno != ENXIO) { // ENXIO: a fifo with no reader yet
            return;
        }
        ::usleep(50 * 1000);
    }
}

/// A capture that ends before its session ran: the one error line, then the fifo released.
int refuseCapture(const ExtcapArguments &arguments, const QString &message, int code = 1)
{
    const int result = fail(message, code);
    if (!arguments.fifo.isEmpty()) {
        releaseFifo(arguments.fifo);
    }
    return result;
}

int capture(const ExtcapArguments &arguments)
{
    // A write to a pipe whose reader left must fail with EPIPE, not kill this process before it removed the agent.
    std::signal(SIGPIPE, SIG_IGN);

    const std::optional<Destination> destination = parseDestination(arguments.destination);
    // Both paths end in this process's own pcapng writer, which feeds the fifo; the others end elsewhere.
    if (!destination ||
        (destination->kind != Destination::Kind::ThisMachine && destination->kind != Destination::Kind::ApiServer)) {
        return refuseCapture(arguments,
            QStringLiteral("destination \"%1\" cannot feed Wireshark: podtap-extcap captures through this "
                           "machine's userspace receiver or the API server only; choose \"local\" or "
                           "\"api\" in the podtap interface options (or use podtapctl tap --to %1)")
                .arg(arguments.destination),
            2);
    }
    // Refused here, before the pipe and the cluster: the session would refuse it only after opening both.
    if (const CompiledFilter filter = compileCaptureFilter(arguments.captureFilter); !filter.ok()) {
        return refuseCapture(arguments, filter.error, 2);
    }
    kube::ClusterConnection connection = kube::connectToCluster(arguments.kubeconfig, arguments.context);
    if (!connection.client) {
        return refuseCapture(arguments, connection.error);
    }
    const PodChoice choice = podChoice(arguments, connection.namespaceName);
    if (choice.pod.isEmpty()) {
        return refuseCapture(arguments,
            QStringLiteral("no pod chosen: open the podtap interface's options (the gear next to "
                           "\"Kubernetes pod (podtap)\") and pick a pod, or preset one with "
                           "-o extcap.podtap.pod:NAMESPACE/POD"),
            2);
    }
    TapRequestFields fields;
    fields.targetNamespace = choice.namespaceName;
    fields.pod = choice.pod;
    if (!arguments.podInterface.isEmpty()) {
        fields.interfaceName = arguments.podInterface;
    }
    if (!arguments.direction.isEmpty()) {
        fields.direction = arguments.direction;
    }
    fields.destination = destination->toString();
    if (!arguments.maxDuration.isEmpty()) {
        fields.maxDuration = arguments.maxDuration;
    }
    if (!arguments.agentNamespace.isEmpty()) {
        fields.agentNamespace = arguments.agentNamespace;
    }
    fields.captureFilter = arguments.captureFilter;
    ValidationProblems problems;
    const TapRequest request = TapRequest::fromFields(fields, &problems);
    if (!problems.isEmpty()) {
        QStringList texts;
        for (const auto &problem : problems) {
            texts << problem.toString();
        }
        return refuseCapture(arguments, texts.join(QStringLiteral("; ")), 2);
    }

    TapSessionOptions options;
    // The userspace receiver writes the pcapng into Wireshark's fifo itself: no capture tool.
    options.capture.outputFile = arguments.fifo;
    options.capture.tool = CaptureTool::None;
    const QStringList captureProblems = options.capture.problems(true, true);
    if (!captureProblems.isEmpty()) {
        return refuseCapture(arguments, captureProblems.join(QLatin1Char(' ')));
    }

    TapSession session(connection.client.get(), request, options);
    cli::UnixSignals signals;
    FifoWatch fifo(arguments.fifo);
    bool started = false;
    int interrupts = 0;
    int exitCode = -1;
    auto stopOrExit = [&](const QString &reason) {
        if (!started) {
            exitCode = 0;
            QCoreApplication::exit(0);
            return;
        }
        session.stop(reason);
    };
    QObject::connect(&signals, &cli::UnixSignals::received, &session, [&](int signalNumber) {
        // Ctrl-C reaches the whole process group, and then Wireshark's own SIGTERM follows: later signals must not
        // cut short the removal of the agent pod the first one started.
        if (interrupts++ > 0) {
            return;
        }
        stopOrExit(signalNumber == SIGINT ? QStringLiteral("interrupted") : QStringLiteral("stopped by Wireshark"));
    });
    if (arguments.debug) {
        QObject::connect(&session, &TapSession::progress,
            [](const QString &text) { std::fprintf(stderr, "podtap: %s\n", qPrintable(text)); });
    }
    QString failure;
    QObject::connect(&session, &TapSession::failed, [&](const QString &summary, const QString &fix) {
        failure = fix.isEmpty() ? summary : QStringLiteral("%1 Fix: %2").arg(summary, fix);
    });
    QObject::connect(&session, &TapSession::finished,
        [&] { QCoreApplication::exit(session.state() == TapSession::State::Stopped ? 0 : 1); });
    fifo.start(
        [&] {
            started = true;
            session.start();
        },
        [&] { stopOrExit(QStringLiteral("Wireshark stopped reading")); },
        [&](const QString &reason) {
            failure = reason;
            QCoreApplication::exit(1);
        });
    int code = QCoreApplication::exec();
    if (exitCode >= 0) {
        code = exitCode;
    }
    if (code != 0) {
        // The session may have failed before Wireshark's reader arrived and the fifo was ever opened.
        return refuseCapture(arguments,
            failure.isEmpty() ? QStringLiteral("the capture of %1/%2 ended: %3")
                                    .arg(choice.namespaceName, choice.pod, session.stopReason())
                              : failure,
            code);
    }
    return 0;
}

QString helpUrl()
{
    const QFileInfo readme(
        QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../share/doc/podtap/README.md")));
    return readme.isFile() ? QUrl::fromLocalFile(readme.canonicalFilePath()).toString() : QString();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("podtap-extcap"));
    QCoreApplication::setApplicationVersion(QLatin1String(kVersion));

    QString error;
    const std::optional<ExtcapArguments> arguments = parseArguments(QCoreApplication::arguments().mid(1), &error);
    if (!arguments) {
        return fail(error, 2);
    }
    switch (arguments->mode) {
    case ExtcapArguments::Mode::Help:
        printLines({usageText()});
        return 0;
    case ExtcapArguments::Mode::Interfaces:
        printLines(interfaceLines(QLatin1String(kVersion), helpUrl()));
        return 0;
    case ExtcapArguments::Mode::Dlts:
        printLines(dltLines());
        return 0;
    case ExtcapArguments::Mode::Config:
        return printConfig(*arguments);
    case ExtcapArguments::Mode::ValidateFilter:
        return validateFilter(*arguments);
    case ExtcapArguments::Mode::Capture:
        return capture(*arguments);
    }
    return 0;
}
