# Regenerates tests/data/rnaseq/pasilla_plotpca.csv (PC1, PC2 per sample) and
# pasilla_plotpca_percentvar.csv (percent of variance of PC1 and PC2, i.e. 100 x percentVar):
# DESeq2 1.38's plotPCA (top 500 genes by row variance, prcomp without scaling) on the
# blind variance-stabilising transformation of the pasilla counts.
#
#   Rscript tests/reference/deseq2_plotpca.R [path/to/shared/reference/rnaseq]
#
# varianceStabilizingTransformation, not vst(): vst() fits the trend on a random
# subsample of 1000 genes, which a Python reimplementation cannot reproduce.
# Needs R with DESeq2 (Debian: apt-get install r-base-core r-bioc-deseq2).
suppressMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
shared <- if (length(args) > 0) args[1] else "../shared/reference/rnaseq"
out <- "tests/data/rnaseq"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

counts <- as.matrix(read.csv(file.path(shared, "pasilla/pasilla_counts.csv"), row.names = 1))
meta <- read.csv(file.path(shared, "pasilla/pasilla_metadata.csv"), row.names = 1,
                 stringsAsFactors = TRUE)
meta$condition <- relevel(meta$condition, "untreated")
dds <- DESeqDataSetFromMatrix(counts, meta[colnames(counts), ], ~ condition)
vsd <- varianceStabilizingTransformation(dds, blind = TRUE)
d <- plotPCA(vsd, intgroup = "condition", returnData = TRUE)

scores <- data.frame(sample = d$name, condition = d$condition,
                     PC1 = signif(d$PC1, 10), PC2 = signif(d$PC2, 10))
write.csv(scores, file.path(out, "pasilla_plotpca.csv"), row.names = FALSE, quote = FALSE)
pv <- attr(d, "percentVar")
write.csv(data.frame(component = c("PC1", "PC2"), percentVar = signif(100 * pv, 10)),
          file.path(out, "pasilla_plotpca_percentvar.csv"), row.names = FALSE, quote = FALSE)
