# Reference values for resistlab.rnaseq.shrink (DESeq2 1.38's lfcShrink).
#
# 1. Writes tests/data/rnaseq/deseq2/pasilla_lfcshrink_normal.csv.gz: lfcShrink(type = "normal")
#    on pasilla, design ~ type + condition (untreated as reference), coefficient
#    condition_treated_vs_untreated. Columns baseMean, log2FoldChange, lfcSE (10 significant
#    digits).
# 2. Prints lfcShrink(type = "normal", contrast = ...) on a three-level design (the expanded
#    model matrix) for a few genes, and R's uniroot() on three functions; tests/rnaseq/
#    test_shrink.py holds these printed values.
#
#   Rscript tests/reference/deseq2_lfcshrink_normal.R [path/to/shared/reference/rnaseq]
#
# Needs R with DESeq2 (Debian: apt-get install r-base-core r-bioc-deseq2). apeglm is not
# needed: the apeglm references are PyDESeq2's stored DESeq2 1.34 + apeglm outputs.
suppressMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
shared <- if (length(args) > 0) args[1] else "../shared/reference/rnaseq"
out <- "tests/data/rnaseq/deseq2"
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# 1. pasilla, coefficient
counts <- as.matrix(read.csv(file.path(shared, "pasilla/pasilla_counts.csv"), row.names = 1))
meta <- read.csv(file.path(shared, "pasilla/pasilla_metadata.csv"), row.names = 1,
                 stringsAsFactors = TRUE)
meta$condition <- relevel(meta$condition, "untreated")
dds <- DESeqDataSetFromMatrix(counts, meta, ~ type + condition)
dds <- DESeq(dds, quiet = TRUE)
shr <- lfcShrink(dds, coef = "condition_treated_vs_untreated", type = "normal", quiet = TRUE)
res <- data.frame(baseMean = signif(shr$baseMean, 10),
                  log2FoldChange = signif(shr$log2FoldChange, 10),
                  lfcSE = signif(shr$lfcSE, 10), row.names = rownames(shr))
write.csv(res, gzfile(file.path(out, "pasilla_lfcshrink_normal.csv.gz")))

# 2a. three dose levels and a batch (first 3000 genes of the 60k synthetic set), a contrast
#     of two non-reference levels
syn <- as.matrix(read.csv(file.path(shared, "synthetic/syn60k_12_counts.csv.gz"),
                          row.names = 1))[1:3000, ]
dmeta <- data.frame(dose = factor(rep(c("none", "low", "high"), each = 4),
                                  levels = c("none", "low", "high")),
                    batch = factor(rep(c("b1", "b2"), 6)), row.names = colnames(syn))
dds <- DESeqDataSetFromMatrix(syn, dmeta, ~ batch + dose)
dds <- DESeq(dds, quiet = TRUE)
shr <- lfcShrink(dds, contrast = c("dose", "high", "low"), type = "normal", quiet = TRUE)
genes <- c("gene115", "gene1045", "gene1773", "gene1905", "gene2099", "gene2388", "gene2803")
for (g in genes) {
  cat(sprintf('"%s": (%s, %s),\n', g, signif(shr[g, "log2FoldChange"], 10),
              signif(shr[g, "lfcSE"], 10)))
}

# 2b. R's uniroot with its default tolerance
for (f in list(function(x) x^3 - 2, function(x) cos(x) - x, function(x) exp(x) - 5)) {
  cat(sprintf("%.17g\n", uniroot(f, c(0, 3))$root))
}
