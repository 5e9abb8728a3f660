// SPDX-License-Identifier: Apache-2.0
// podtapctl get namespaces|nodes|pods: kubectl's default tables, streamed page by page so 100k
// pods never sit in memory at once.
#include "cli_support.h"
#include "cluster/kubectl_format.h"
#include "cluster/row_parser.h"
#include "cluster/workload_target.h"
#include "common/text_escape.h"
#include "kube/cluster_connection.h"
#include "kube/kube_client.h"
#include "kube/list_watch.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <cstdio>
#include <optional>

namespace podtap::cli {

namespace {

using cluster::kubectl::ColumnWriter;

enum class Resource { Namespaces, Nodes, Pods };

struct GetOptions
{
    Resource resource = Resource::Pods;
    QString namespaceName;
    bool allNamespaces = false;
    QString selector;
    QString fieldSelector;
    bool watch = false;
    QString kubeconfig;
    QString context;
    int chunkSize = 500;
    QString target; ///< `get pods TARGET`: the pods a tap of TARGET would cover
    int maxPods = cluster::WorkloadResolver::defaultMaxPods;
};

void printHelp(QTextStream &out)
{
    out << "Usage: podtapctl get namespaces|nodes|pods [-n NS | -A] [-l SELECTOR] [--field-selector SELECTOR]\n"
           "                     [--watch] [--kubeconfig FILE] [--context NAME] [--chunk-size N]\n"
           "       podtapctl get pods TARGET [-n NS] [--max-pods N]\n\n"
           "Lists objects with kubectl's default columns, printing each page as it arrives.\n"
           "With a TARGET (POD, NS/POD, deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME, or a label\n"
           "selector such as 'app=cart,tier!=db'), lists the pods a tap of it would cover: the Running ones\n"
           "(TAP yes) and the others (TAP no), and fails as the tap would (not found, forbidden, nothing\n"
           "running, more than --max-pods running pods, default 64).\n"
           "  -n, --namespace NS       namespace (default: the context's)\n"
           "  -A, --all-namespaces     pods of every namespace (adds the NAMESPACE column)\n"
           "  -l, --selector SELECTOR  label selector, e.g. app=web,tier!=db\n"
           "  -w, --watch              after listing, print every change\n"
           "      --kubeconfig FILE    kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)\n"
           "      --context NAME       kubeconfig context (default: the current one)\n"
           "      --chunk-size N       objects per list request (default 500)\n"
           "      --max-pods N         with a TARGET: the most running pods it may cover (default 64)\n";
}

std::optional<Resource> parseResource(const QString &name)
{
    static const QStringList namespaces {
        QStringLiteral("namespaces"), QStringLiteral("namespace"), QStringLiteral("ns")};
    static const QStringList nodes {QStringLiteral("nodes"), QStringLiteral("node"), QStringLiteral("no")};
    static const QStringList pods {QStringLiteral("pods"), QStringLiteral("pod"), QStringLiteral("po")};
    if (namespaces.contains(name)) {
        return Resource::Namespaces;
    }
    if (nodes.contains(name)) {
        return Resource::Nodes;
    }
    if (pods.contains(name)) {
        return Resource::Pods;
    }
    return std::nullopt;
}

/// Parses kubectl-style flags (`--flag value`, `--flag=value`, `-n value`, `-nvalue`).
bool parseArgs(const QStringList &args, GetOptions *options, QString *error, bool *help)
{
    bool haveResource = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        QString arg = args[i];
        QString inlineValue;
        bool hasInline = false;
        if (arg.startsWith(QLatin1String("--")) && arg.contains(QLatin1Char('='))) {
            const qsizetype eq = arg.indexOf(QLatin1Char('='));
            inlineValue = arg.mid(eq + 1);
            arg = arg.left(eq);
            hasInline = true;
        } else if (arg.size() > 2 && arg.startsWith(QLatin1Char('-')) && !arg.startsWith(QLatin1String("--")) &&
            (arg[1] == QLatin1Char('n') || arg[1] == QLatin1Char('l'))) {
            inlineValue = arg.mid(2);
            arg = arg.left(2);
            hasInline = true;
        }
        auto value = [&](QString *target) {
            if (hasInline) {
                *target = inlineValue;
                return true;
            }
            if (i + 1 >= args.size()) {
                *error = QStringLiteral("flag %1 needs a value").arg(arg);
                return false;
            }
            *target = args[++i];
            return true;
        };
        if (arg == QLatin1String("-h") || arg == QLatin1String("--help")) {
            *help = true;
            return true;
        } else if (arg == QLatin1String("-n") || arg == QLatin1String("--namespace")) {
            if (!value(&options->namespaceName)) {
                return false;
            }
        } else if (arg == QLatin1String("-A") || arg == QLatin1String("--all-namespaces")) {
            options->allNamespaces = !hasInline || inlineValue != QLatin1String("false");
        } else if (arg == QLatin1String("-l") || arg == QLatin1String("--selector")) {
            if (!value(&options->selector)) {
                return false;
            }
        } else if (arg == QLatin1String("--field-selector")) {
            if (!value(&options->fieldSelector)) {
                return false;
            }
        } else if (arg == QLatin1String("-w") || arg == QLatin1String("--watch")) {
            options->watch = !hasInline || inlineValue != QLatin1String("false");
        } else if (arg == QLatin1String("--kubeconfig")) {
            if (!value(&options->kubeconfig)) {
                return false;
            }
        } else if (arg == QLatin1String("--context")) {
            if (!value(&options->context)) {
                return false;
            }
        } else if (arg == QLatin1String("--chunk-size")) {
            QString text;
            if (!value(&text)) {
                return false;
            }
            bool ok = false;
            options->chunkSize = text.toInt(&ok);
            if (!ok || options->chunkSize < 0) {
                *error = QStringLiteral("--chunk-size %1: expected a number >= 0").arg(text);
                return false;
            }
        } else if (arg == QLatin1String("--max-pods")) {
            QString text;
            if (!value(&text)) {
                return false;
            }
            bool ok = false;
            options->maxPods = text.toInt(&ok);
            if (!ok || options->maxPods < 1) {
                *error = QStringLiteral("--max-pods %1: expected a number >= 1").arg(quoteForMessage(text));
                return false;
            }
        } else if (arg.startsWith(QLatin1Char('-'))) {
            *error = QStringLiteral("unknown flag %1").arg(arg);
            return false;
        } else if (!haveResource) {
            const std::optional<Resource> resource = parseResource(arg);
            if (!resource) {
                *error = QStringLiteral("unknown resource type \"%1\"; podtapctl get knows namespaces, nodes and pods")
                             .arg(arg);
                return false;
            }
            options->resource = *resource;
            haveResource = true;
        } else if (options->resource == Resource::Pods && options->target.isEmpty()) {
            options->target = arg;
        } else {
            *error = QStringLiteral("unexpected argument %1 (podtapctl get lists whole collections, or the pods of one "
                                    "target; filter with -l or --field-selector)")
                         .arg(quoteForMessage(arg));
            return false;
        }
    }
    if (!options->target.isEmpty() &&
        (options->allNamespaces || options->watch || !options->selector.isEmpty() ||
            !options->fieldSelector.isEmpty())) {
        *error = QStringLiteral("a TARGET (%1) lists the pods of one target in one namespace, so it takes no -A, -l, "
                                "--field-selector or --watch; give the selector as the target instead")
                     .arg(quoteForMessage(options->target));
        return false;
    }
    if (!haveResource) {
        *error = QStringLiteral("no resource type given; use namespaces, nodes or pods");
        return false;
    }
    return true;
}

/// Streams one list (and optionally a watch) to stdout as kubectl's table.
class GetPrinter final
{
public:
    GetPrinter(const GetOptions &options, bool withNamespace)
        : m_options(options)
        , m_withNamespace(withNamespace)
        , m_parser(&m_pool)
        , m_writer(headers(options.resource, withNamespace))
    {
    }

    QList<QStringList> cells(const QJsonArray &items)
    {
        QList<QStringList> rows;
        rows.reserve(items.size());
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (const QJsonValue &value : items) {
            rows.append(cellsOf(value.toObject(), now));
        }
        return rows;
    }

    QStringList cellsOf(const QJsonObject &object, qint64 now)
    {
        namespace kubectl = cluster::kubectl;
        switch (m_options.resource) {
        case Resource::Namespaces: {
            const cluster::NamespaceRow row = m_parser.namespaceRow(object);
            return {row.name, row.phase, kubectl::age(row.creationMs, now)};
        }
        case Resource::Nodes: {
            const cluster::NodeRow row = m_parser.node(object);
            return {row.name, row.status(), row.roles, kubectl::age(row.creationMs, now),
                row.kubeletVersion.isEmpty() ? QStringLiteral("<none>") : row.kubeletVersion};
        }
        case Resource::Pods: {
            const cluster::PodRow row = m_parser.pod(object);
            QStringList cells;
            if (m_withNamespace) {
                cells << row.namespaceName;
            }
            cells << row.name << kubectl::ready(row) << row.status << kubectl::restarts(row, now)
                  << kubectl::age(row.creationMs, now);
            return cells;
        }
        }
        return {};
    }

    void printPage(const QJsonArray &items)
    {
        const QList<QStringList> rows = cells(items);
        m_writer.measure(rows);
        QByteArray out;
        out.reserve(rows.size() * 96);
        if (!m_headerPrinted && !rows.isEmpty()) {
            out += m_writer.header().toUtf8() + '\n';
            m_headerPrinted = true;
        }
        for (const QStringList &row : rows) {
            out += m_writer.format(row).toUtf8();
            out += '\n';
        }
        m_printed += rows.size();
        std::fwrite(out.constData(), 1, std::size_t(out.size()), stdout);
    }

    void printEvent(const QJsonObject &object)
    {
        const QStringList row = cellsOf(object, QDateTime::currentMSecsSinceEpoch());
        m_writer.measure({row});
        QByteArray out;
        if (!m_headerPrinted) {
            out += m_writer.header().toUtf8() + '\n';
            m_headerPrinted = true;
        }
        out += m_writer.format(row).toUtf8() + '\n';
        std::fwrite(out.constData(), 1, std::size_t(out.size()), stdout);
        std::fflush(stdout);
    }

    qsizetype printed() const { return m_printed; }

private:
    static QStringList headers(Resource resource, bool withNamespace)
    {
        switch (resource) {
        case Resource::Namespaces:
            return {QStringLiteral("NAME"), QStringLiteral("STATUS"), QStringLiteral("AGE")};
        case Resource::Nodes:
            return {QStringLiteral("NAME"), QStringLiteral("STATUS"), QStringLiteral("ROLES"), QStringLiteral("AGE"),
                QStringLiteral("VERSION")};
        case Resource::Pods: {
            QStringList list {QStringLiteral("NAME"), QStringLiteral("READY"), QStringLiteral("STATUS"),
                QStringLiteral("RESTARTS"), QStringLiteral("AGE")};
            if (withNamespace) {
                list.prepend(QStringLiteral("NAMESPACE"));
            }
            return list;
        }
        }
        return {};
    }

    const GetOptions &m_options;
    bool m_withNamespace;
    cluster::StringPool m_pool;
    cluster::RowParser m_parser;
    ColumnWriter m_writer;
    bool m_headerPrinted = false;
    qsizetype m_printed = 0;
};

/// The continue token of a list page, read from the first bytes of the body. A list's metadata
/// comes before its items, so the next page can be requested before this one is parsed.
QString peekContinueToken(const QByteArray &body)
{
    static const QByteArray key = QByteArrayLiteral("\"continue\":\"");
    const qsizetype at = QByteArrayView(body).first(std::min<qsizetype>(body.size(), 4096)).indexOf(key);
    if (at < 0) {
        return {};
    }
    const qsizetype start = at + key.size();
    const qsizetype end = body.indexOf('"', start);
    if (end < 0 || body.mid(start, end - start).contains('\\')) {
        return {};
    }
    return QString::fromLatin1(body.mid(start, end - start));
}

/// Lists in pages as kubectl does: the server renders its Table (the same columns and cells
/// kubectl shows), the next page is already on its way while this one prints, and nothing but
/// the column widths outlives a page. Servers without Table support get the JSON path.
class PagedLister final
{
public:
    PagedLister(
        kube::KubeClient *client, QString path, const GetOptions &options, GetPrinter *fallback, bool withNamespace)
        : m_client(client)
        , m_path(std::move(path))
        , m_options(options)
        , m_fallback(fallback)
        , m_withNamespace(withNamespace)
    {
    }

    /// Returns the exit code.
    int run()
    {
        QEventLoop loop;
        m_loop = &loop;
        request({});
        loop.exec();
        std::fflush(stdout);
        return m_exitCode;
    }

    qsizetype printed() const { return m_printed + m_fallback->printed(); }

private:
    void request(const QString &continueToken)
    {
        kube::KubeRequest request;
        request.path = m_path;
        request.accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
        if (m_options.chunkSize > 0) {
            request.query.addQueryItem(QStringLiteral("limit"), QString::number(m_options.chunkSize));
        }
        if (!continueToken.isEmpty()) {
            request.query.addQueryItem(QStringLiteral("continue"), continueToken);
        }
        if (!m_options.selector.isEmpty()) {
            request.query.addQueryItem(QStringLiteral("labelSelector"), m_options.selector);
        }
        if (!m_options.fieldSelector.isEmpty()) {
            request.query.addQueryItem(QStringLiteral("fieldSelector"), m_options.fieldSelector);
        }
        ++m_inFlight;
        kube::KubeReply *reply = m_client->send(request);
        QObject::connect(reply, &kube::KubeReply::finished, reply, [this, reply] {
            reply->deleteLater();
            m_ready.insert(reply->property("podtapSeq").toInt(), reply);
            drain();
        });
        reply->setProperty("podtapSeq", m_nextSeq++);
    }

    void drain()
    {
        // Pages are printed strictly in order, even though only one is ever in flight.
        while (m_ready.contains(m_printSeq)) {
            kube::KubeReply *reply = m_ready.take(m_printSeq++);
            --m_inFlight;
            if (m_done) {
                continue;
            }
            if (!reply->ok()) {
                const kube::ApiError &error = reply->error();
                std::fprintf(stderr, "podtapctl get: %s%s\n",
                    error.kind == kube::ApiError::Kind::Status
                        ? qPrintable(QStringLiteral("Error from server (%1): ").arg(escapeForTerminal(error.reason)))
                        : "",
                    qPrintable(escapeForTerminal(error.toString())));
                finish(1);
                return;
            }
            const QString next = peekContinueToken(reply->body());
            if (!next.isEmpty()) {
                request(next); // overlap the server's next page with printing this one
            }
            const QJsonObject page = QJsonDocument::fromJson(reply->body()).object();
            const QString continueToken =
                page.value(QLatin1String("metadata")).toObject().value(QLatin1String("continue")).toString();
            if (page.value(QLatin1String("kind")).toString() == QLatin1String("Table")) {
                printTable(page);
            } else {
                m_fallback->printPage(page.value(QLatin1String("items")).toArray());
            }
            if (next.isEmpty() && !continueToken.isEmpty()) {
                request(continueToken);
            } else if (continueToken.isEmpty()) {
                finish(0);
                return;
            }
        }
    }

    void printTable(const QJsonObject &page)
    {
        if (!m_writer) {
            QStringList headers;
            const QJsonArray definitions = page.value(QLatin1String("columnDefinitions")).toArray();
            for (qsizetype i = 0; i < definitions.size(); ++i) {
                const QJsonObject column = definitions.at(i).toObject();
                if (column.value(QLatin1String("priority")).toInt() == 0) {
                    headers << column.value(QLatin1String("name")).toString().toUpper();
                    m_columns << i;
                }
            }
            if (m_withNamespace) {
                headers.prepend(QStringLiteral("NAMESPACE"));
            }
            m_writer.emplace(headers);
        }
        const QJsonArray rows = page.value(QLatin1String("rows")).toArray();
        QList<QStringList> lines;
        lines.reserve(rows.size());
        for (const QJsonValue &value : rows) {
            const QJsonObject row = value.toObject();
            const QJsonArray cells = row.value(QLatin1String("cells")).toArray();
            QStringList line;
            line.reserve(m_columns.size() + 1);
            if (m_withNamespace) {
                line << row.value(QLatin1String("object"))
                            .toObject()
                            .value(QLatin1String("metadata"))
                            .toObject()
                            .value(QLatin1String("namespace"))
                            .toString();
            }
            for (const qsizetype column : std::as_const(m_columns)) {
                const QJsonValue cell = cells.at(column);
                line << (cell.isString()  ? cell.toString()
                        : cell.isDouble() ? QString::number(cell.toDouble())
                                          : cell.toVariant().toString());
            }
            lines.append(std::move(line));
        }
        m_writer->measure(lines);
        QByteArray out;
        out.reserve(lines.size() * 96);
        if (!m_headerPrinted && !lines.isEmpty()) {
            out += m_writer->header().toUtf8() + '\n';
            m_headerPrinted = true;
        }
        for (const QStringList &line : std::as_const(lines)) {
            out += m_writer->format(line).toUtf8();
            out += '\n';
        }
        m_printed += lines.size();
        std::fwrite(out.constData(), 1, std::size_t(out.size()), stdout);
    }

    void finish(int exitCode)
    {
        m_done = true;
        m_exitCode = exitCode;
        m_loop->quit();
    }

    kube::KubeClient *m_client;
    QString m_path;
    const GetOptions &m_options;
    GetPrinter *m_fallback;
    bool m_withNamespace;
    QEventLoop *m_loop = nullptr;
    std::optional<ColumnWriter> m_writer;
    QList<qsizetype> m_columns;
    QHash<int, kube::KubeReply *> m_ready;
    int m_nextSeq = 0;
    int m_printSeq = 0;
    int m_inFlight = 0;
    bool m_done = false;
    bool m_headerPrinted = false;
    int m_exitCode = 0;
    qsizetype m_printed = 0;
};

/// `podtapctl get pods TARGET`: resolves the target as a tap would and prints its pods.
int previewTarget(kube::KubeClient *client, const GetOptions &options, const QString &namespaceName)
{
    QTextStream &err = cli::err();
    QString error;
    const std::optional<cluster::WorkloadTarget> target =
        cluster::WorkloadTarget::parse(options.target, namespaceName, &error);
    if (!target) {
        err << "podtapctl get: " << error << ". Run 'podtapctl get --help' for usage.\n";
        return 2;
    }
    cluster::WorkloadResolver resolver(client);
    resolver.setMaxPods(options.maxPods);
    QEventLoop loop;
    cluster::WorkloadResolution result;
    QObject::connect(
        &resolver, &cluster::WorkloadResolver::finished, &loop, [&](const cluster::WorkloadResolution &resolution) {
            result = resolution;
            loop.quit();
        });
    resolver.resolve(*target);
    loop.exec();
    if (!result.ok()) {
        err << "podtapctl get: " << result.error << "\n";
        return 1;
    }
    const auto orNone = [](const QString &text) { return text.isEmpty() ? QStringLiteral("<none>") : text; };
    QList<QStringList> rows;
    for (const cluster::ResolvedPod &pod : std::as_const(result.running)) {
        rows << QStringList {pod.name, pod.status, orNone(pod.node), orNone(pod.podIp), QStringLiteral("yes")};
    }
    for (const cluster::ResolvedPod &pod : std::as_const(result.notRunning)) {
        rows << QStringList {pod.name, pod.status, orNone(pod.node), orNone(pod.podIp), QStringLiteral("no")};
    }
    ColumnWriter writer({QStringLiteral("NAME"), QStringLiteral("STATUS"), QStringLiteral("NODE"), QStringLiteral("IP"),
        QStringLiteral("TAP")});
    writer.measure(rows);
    QTextStream &out = cli::out();
    out << writer.header() << '\n';
    for (const QStringList &row : std::as_const(rows)) {
        out << writer.format(row) << '\n';
    }
    out.flush();
    err << result.target << ": " << result.running.size() << " running pod(s) to tap, " << result.notRunning.size()
        << " not running"
        << (result.selector.isEmpty() ? QString() : QStringLiteral(" (selector %1)").arg(result.selector)) << "\n";
    return 0;
}

} // namespace

int runGetCommand(const QStringList &args)
{
    // The shared streams: they keep escape sequences in server text off the terminal.
    QTextStream &err = cli::err();
    QTextStream &out = cli::out();
    GetOptions options;
    QString error;
    bool help = false;
    if (!parseArgs(args, &options, &error, &help)) {
        err << "podtapctl get: " << error << ". Run 'podtapctl get --help' for usage.\n";
        return 2;
    }
    if (help) {
        printHelp(out);
        return 0;
    }
    kube::ClusterConnection connection = kube::connectToCluster(options.kubeconfig, options.context);
    if (!connection.client) {
        err << "podtapctl get: " << connection.error << "\n";
        return 1;
    }
    kube::KubeClient *client = connection.client.get();
    if (client->isInsecure()) {
        err << "podtapctl get: warning: context " << connection.contextName
            << " skips TLS verification (insecure-skip-tls-verify); the server is not authenticated.\n";
    }
    QObject::connect(client, &kube::KubeClient::warningReceived, client,
        [](const QString &warning) { std::fprintf(stderr, "Warning: %s\n", qPrintable(escapeForTerminal(warning))); });

    const bool namespaced = options.resource == Resource::Pods;
    const QString namespaceName = options.namespaceName.isEmpty() ? connection.namespaceName : options.namespaceName;
    const bool all = namespaced && options.allNamespaces;
    if (!options.target.isEmpty()) {
        return previewTarget(client, options, namespaceName);
    }
    QString path;
    switch (options.resource) {
    case Resource::Namespaces:
        path = kube::KubeClient::corePath(QStringLiteral("namespaces"));
        break;
    case Resource::Nodes:
        path = kube::KubeClient::corePath(QStringLiteral("nodes"));
        break;
    case Resource::Pods:
        path = kube::KubeClient::corePath(QStringLiteral("pods"), all ? QString() : namespaceName);
        break;
    }

    if (!options.watch) {
        GetPrinter fallback(options, all);
        PagedLister lister(client, path, options, &fallback, all);
        const int code = lister.run();
        if (code == 0 && lister.printed() == 0) {
            if (namespaced && !all) {
                err << "No resources found in " << namespaceName << " namespace.\n";
            } else {
                err << "No resources found\n";
            }
        }
        return code;
    }

    kube::ListOptions listOptions;
    listOptions.labelSelector = options.selector;
    listOptions.fieldSelector = options.fieldSelector;
    listOptions.pageSize = options.chunkSize;
    listOptions.watch = options.watch;
    kube::ListWatch listWatch(client, path, listOptions);
    GetPrinter printer(options, all);
    QEventLoop loop;
    int exitCode = 0;
    int relists = 0;
    bool listed = false;

    QObject::connect(&listWatch, &kube::ListWatch::relistStarted, &loop, [&] {
        if (++relists > 1 && !listed) {
            // The continue token expired mid-list; rows already printed would repeat.
            err << "podtapctl get: the list changed faster than it could be paged (410 Expired). Retry, or use a "
                   "smaller selection with -l.\n";
            err.flush();
            exitCode = 1;
            loop.quit();
        }
    });
    QObject::connect(&listWatch, &kube::ListWatch::pageReceived, &loop, [&](const QJsonArray &items) {
        if (!listed) {
            printer.printPage(items);
        }
    });
    QObject::connect(&listWatch, &kube::ListWatch::relistFinished, &loop, [&] {
        if (!listed && printer.printed() == 0) {
            if (namespaced && !all) {
                err << "No resources found in " << namespaceName << " namespace.\n";
            } else {
                err << "No resources found\n";
            }
            err.flush();
        }
        listed = true;
        std::fflush(stdout);
        if (!options.watch) {
            loop.quit();
        }
    });
    QObject::connect(&listWatch, &kube::ListWatch::eventReceived, &loop,
        [&](kube::WatchEventType, const QJsonObject &object) { printer.printEvent(object); });
    QObject::connect(&listWatch, &kube::ListWatch::errorOccurred, &loop, [&](const kube::ApiError &apiError) {
        err << "podtapctl get: "
            << (apiError.kind == kube::ApiError::Kind::Status
                       ? QStringLiteral("Error from server (%1): ").arg(apiError.reason)
                       : QString())
            << apiError.toString() << "\n";
        err.flush();
        if (!options.watch || !listed) {
            exitCode = 1;
            loop.quit();
        }
    });
    listWatch.start();
    loop.exec();
    listWatch.stop();
    std::fflush(stdout);
    return exitCode;
}

} // namespace podtap::cli
