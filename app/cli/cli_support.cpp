// SPDX-License-Identifier: Apache-2.0
#include "cli_support.h"

#include "kube/kube_client.h"

#include <QEventLoop>
#include <QIODevice>

#include <cstdio>

namespace podtap::cli {

namespace {

/// @brief Writes UTF-8 to a C stream with terminal controls made visible.
///
/// Messages quote names, reasons and errors from the cluster and the agent. Whatever a command
/// forgets to escape, no escape sequence, carriage return or bidi override from there reaches the
/// terminal: C0 controls other than newline and tab, DEL and C1 controls become \xNN, U+202A–202E
/// and U+2066–2069 become \uNNNN (the same forms as escapeForTerminal).
class TerminalSafeDevice final : public QIODevice
{
public:
    explicit TerminalSafeDevice(FILE *file)
        : m_file(file)
    {
        open(QIODevice::WriteOnly | QIODevice::Unbuffered);
    }

protected:
    qint64 readData(char *, qint64) override { return -1; }

    qint64 writeData(const char *data, qint64 size) override
    {
        QByteArray in = m_pending + QByteArray(data, size);
        m_pending.clear();
        QByteArray safe;
        safe.reserve(in.size());
        const qsizetype n = in.size();
        for (qsizetype i = 0; i < n; ++i) {
            const auto byte = quint8(in[i]);
            // A sequence cut by the end of this write is finished with the next one.
            if ((byte == 0xc2 && i + 1 == n) || (byte == 0xe2 && i + 2 >= n)) {
                m_pending = in.mid(i);
                break;
            }
            if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7f) {
                safe += QByteArrayLiteral("\\x") + QByteArray::number(byte, 16).rightJustified(2, '0');
            } else if (byte == 0xc2 && quint8(in[i + 1]) >= 0x80 && quint8(in[i + 1]) < 0xa0) {
                safe += QByteArrayLiteral("\\x") + QByteArray::number(quint8(in[i + 1]), 16);
                ++i;
            } else if (byte == 0xe2 &&
                ((quint8(in[i + 1]) == 0x80 && quint8(in[i + 2]) >= 0xaa && quint8(in[i + 2]) <= 0xae) ||
                    (quint8(in[i + 1]) == 0x81 && quint8(in[i + 2]) >= 0xa6 && quint8(in[i + 2]) <= 0xa9))) {
                const int code = 0x2000 + ((quint8(in[i + 1]) & 0x3f) << 6) + (quint8(in[i + 2]) & 0x3f);
                safe += QByteArrayLiteral("\\u") + QByteArray::number(code, 16);
                i += 2;
            } else {
                safe += char(byte);
            }
        }
        if (!safe.isEmpty() &&
            std::fwrite(safe.constData(), 1, std::size_t(safe.size()), m_file) != std::size_t(safe.size()))
            return -1;
        std::fflush(m_file);
        return size;
    }

private:
    FILE *m_file;
    QByteArray m_pending;
};

} // namespace

QTextStream &err()
{
    static TerminalSafeDevice device(stderr);
    static QTextStream stream(&device);
    return stream;
}

QTextStream &out()
{
    static TerminalSafeDevice device(stdout);
    static QTextStream stream(&device);
    return stream;
}

int usageError(const QString &message, const QString &command)
{
    err() << "podtapctl " << command << ": " << message << "\nRun 'podtapctl " << command << " --help' for usage.\n";
    err().flush();
    return 2;
}

void printHelp(const QCommandLineParser &parser, const QString &command)
{
    // QCommandLineParser names the binary by the path it was started with; operators type `podtapctl COMMAND`.
    QString text = parser.helpText();
    const QString usage = QStringLiteral("Usage: ");
    if (text.startsWith(usage)) {
        const qsizetype programEnd = text.indexOf(QLatin1Char(' '), usage.size());
        text.replace(0, programEnd, usage + QStringLiteral("podtapctl ") + command);
    }
    out() << text;
    out().flush();
}

std::optional<int> parse(QCommandLineParser &parser, const QStringList &args, const QString &command)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help(
        QStringList {QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(QStringList {QStringLiteral("podtapctl ") + command} + args)) {
        return usageError(parser.errorText(), command);
    }
    if (parser.isSet(help)) {
        printHelp(parser, command);
        return 0;
    }
    return std::nullopt;
}

kube::KubeReply *waitFor(kube::KubeReply *reply)
{
    if (!reply->isFinished()) {
        QEventLoop loop;
        QObject::connect(reply, &kube::KubeReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return reply;
}

std::optional<kube::ClusterConnection> connect(const QCommandLineParser &parser, const ConnectionFlags &flags)
{
    kube::ClusterConnection connection =
        kube::connectToCluster(parser.value(flags.kubeconfig), parser.value(flags.context));
    if (!connection.client) {
        err() << "podtapctl: " << connection.error << "\n";
        err().flush();
        return std::nullopt;
    }
    return connection;
}

} // namespace podtap::cli
