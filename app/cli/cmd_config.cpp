// SPDX-License-Identifier: Apache-2.0
// `podtapctl config view`: the merged kubeconfig exactly as `kubectl config view` prints it.
#include "kube/kubeconfig.h"
#include "kube/kubeconfig_printer.h"

#include <QFile>
#include <QFileInfo>
#include <QTextStream>

namespace podtap::cli {

namespace {

void printConfigUsage(QTextStream &out)
{
    out << "Usage: podtapctl config view [--minify] [--flatten] [--raw] [--context NAME] [--kubeconfig FILE]\n"
           "                             [-o yaml|json]\n\n"
           "Prints the merged kubeconfig as kubectl does: tokens and passwords REDACTED, *-data DATA+OMITTED\n"
           "unless --raw; --flatten embeds referenced files as *-data; --minify keeps only the current (or\n"
           "--context) context with its cluster and user.\n";
}

/// Accepts `--flag`, `--flag=true|false`, `--opt VALUE` and `--opt=VALUE` like kubectl's flags.
struct FlagParser
{
    QStringList args;
    qsizetype index = 0;
    QString error;

    bool boolean(const QString &arg, const char *name, bool &target)
    {
        const QString flag = QStringLiteral("--") + QLatin1String(name);
        if (arg == flag) {
            target = true;
            return true;
        }
        if (arg.startsWith(flag + QLatin1Char('='))) {
            const QString value = arg.mid(flag.size() + 1);
            if (value != QLatin1String("true") && value != QLatin1String("false")) {
                error = QStringLiteral("invalid value %1 for %2: use true or false").arg(value, flag);
            }
            target = value == QLatin1String("true");
            return true;
        }
        return false;
    }

    bool value(const QString &arg, const QStringList &names, QString &target)
    {
        for (const QString &flag : names) {
            if (arg == flag) {
                if (index + 1 >= args.size()) {
                    error = QStringLiteral("flag needs an argument: %1").arg(flag);
                } else {
                    target = args[++index];
                }
                return true;
            }
            if (flag.startsWith(QLatin1String("--")) && arg.startsWith(flag + QLatin1Char('='))) {
                target = arg.mid(flag.size() + 1);
                return true;
            }
            if (!flag.startsWith(QLatin1String("--")) && arg.startsWith(flag) && arg.size() > flag.size()) {
                target = arg.mid(flag.size() + (arg.at(flag.size()) == QLatin1Char('=') ? 1 : 0));
                return true;
            }
        }
        return false;
    }
};

int runView(const QStringList &args)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    kube::KubeconfigViewOptions options;
    kube::KubeconfigLoadOptions load;
    QString output = QStringLiteral("yaml");
    FlagParser parser;
    parser.args = args;
    for (; parser.index < args.size(); ++parser.index) {
        const QString arg = args[parser.index];
        if (arg == QLatin1String("--help") || arg == QLatin1String("-h")) {
            printConfigUsage(out);
            return 0;
        }
        const bool known = parser.boolean(arg, "minify", options.minify) ||
            parser.boolean(arg, "flatten", options.flatten) || parser.boolean(arg, "raw", options.raw) ||
            parser.value(arg, {QStringLiteral("--context")}, options.context) ||
            parser.value(arg, {QStringLiteral("--kubeconfig")}, load.explicitPath) ||
            parser.value(arg, {QStringLiteral("--output"), QStringLiteral("-o")}, output);
        if (!known) {
            parser.error = QStringLiteral("unknown flag %1").arg(arg);
        }
        if (!parser.error.isEmpty()) {
            err << "podtapctl config view: " << parser.error << ". Run 'podtapctl config view --help'.\n";
            return 2;
        }
    }
    if (output == QLatin1String("json")) {
        options.format = kube::KubeconfigViewOptions::Format::Json;
    } else if (output != QLatin1String("yaml")) {
        err << "podtapctl config view: output format " << output << " is not supported; use -o yaml or -o json.\n";
        return 2;
    }

    // kubectl reads the files with the loader's rules but prints what they say, paths unresolved;
    // a missing --kubeconfig file shows an empty configuration.
    kube::KubeconfigDocument merged;
    for (const QString &file : kube::Kubeconfig::selectFiles(load)) {
        if (!QFileInfo::exists(file)) {
            continue;
        }
        const kube::KubeconfigDocument doc = kube::KubeconfigDocument::fromFile(file);
        QString error = doc.fileError;
        for (const auto &entry : doc.clusters) {
            error = error.isEmpty() ? entry.error : error;
        }
        for (const auto &entry : doc.users) {
            error = error.isEmpty() ? entry.error : error;
        }
        for (const auto &entry : doc.contexts) {
            error = error.isEmpty() ? entry.error : error;
        }
        if (!error.isEmpty()) {
            err << "error: " << error << "\n";
            return 1;
        }
        merged.mergeFrom(doc);
    }
    const kube::KubeconfigViewResult result = kube::KubeconfigPrinter::view(merged, options);
    if (!result.error.isEmpty()) {
        err << "error: " << result.error << "\n";
        return 1;
    }
    QFile stdoutFile;
    if (!stdoutFile.open(stdout, QIODevice::WriteOnly) || stdoutFile.write(result.output) != result.output.size()) {
        err << "error: cannot write to standard output\n";
        return 1;
    }
    return 0;
}

} // namespace

int runConfigCommand(const QStringList &args)
{
    QTextStream err(stderr);
    // Connection flags may come before the subcommand (podtapctl --kubeconfig F config view).
    QStringList rest = args;
    QStringList leading;
    while (!rest.isEmpty() && rest.first().startsWith(QLatin1Char('-'))) {
        const QString flag = rest.takeFirst();
        leading << flag;
        if ((flag == QLatin1String("--kubeconfig") || flag == QLatin1String("--context")) && !rest.isEmpty()) {
            leading << rest.takeFirst();
        }
    }
    if (rest.isEmpty()) {
        if (leading.contains(QLatin1String("--help")) || leading.contains(QLatin1String("-h"))) {
            QTextStream out(stdout);
            printConfigUsage(out);
            return 0;
        }
        printConfigUsage(err);
        return 2;
    }
    const QString sub = rest.takeFirst();
    if (sub == QLatin1String("view")) {
        return runView(leading + rest);
    }
    err << "podtapctl config: unknown subcommand '" << sub << "'; only 'view' exists.\n";
    return 2;
}

} // namespace podtap::cli
