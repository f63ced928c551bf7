# Regenerates tests/data/rnaseq/deseq2/: DESeq2 1.38 outputs on designs the team's
# ../shared/reference/rnaseq files do not cover (3 or fewer residual degrees of freedom,
# a likelihood-ratio test, a contrast of two non-reference levels, outlier replacement,
# variance-stabilising transformation).
#
#   Rscript tests/reference/deseq2_references.R [path/to/shared/reference/rnaseq]
#   (DESEQ2_OUT=dir writes elsewhere; DESEQ2_SHARED=1 also regenerates the shared references)
#
# Needs R with DESeq2 (Debian: apt-get install r-base-core r-bioc-deseq2).
suppressMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
shared <- if (length(args) > 0) args[1] else "../shared/reference/rnaseq"
out <- Sys.getenv("DESEQ2_OUT", "tests/data/rnaseq/deseq2")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

write_fit <- function(dds, res, prefix) {
  fmt <- function(df) { num <- vapply(df, is.numeric, TRUE); df[num] <- lapply(df[num], signif, 10); df }
  write.csv(fmt(as.data.frame(res)), gzfile(file.path(out, paste0(prefix, "_res.csv.gz"))))
  d <- data.frame(baseMean = mcols(dds)$baseMean, dispGeneEst = mcols(dds)$dispGeneEst,
                  dispFit = mcols(dds)$dispFit, dispersion = dispersions(dds),
                  row.names = rownames(dds))
  write.csv(fmt(d), gzfile(file.path(out, paste0(prefix, "_disp.csv.gz"))))
  info <- data.frame(name = c("dispPriorVar", "varLogDispEsts", "filterThreshold"),
                     value = c(attr(dispersionFunction(dds), "dispPriorVar"),
                               attr(dispersionFunction(dds), "varLogDispEsts"),
                               unname(metadata(res)$filterThreshold)))
  write.csv(info, file.path(out, paste0(prefix, "_info.csv")), row.names = FALSE)
}

pasilla <- as.matrix(read.csv(file.path(shared, "pasilla/pasilla_counts.csv"), row.names = 1))
pmeta <- read.csv(file.path(shared, "pasilla/pasilla_metadata.csv"), row.names = 1, stringsAsFactors = TRUE)
pmeta$condition <- relevel(pmeta$condition, "untreated")

# 1. pasilla without untreated4: ~ type + condition on 6 samples, 3 residual df (simulated prior)
keep <- rownames(pmeta) != "untreated4"
dds <- DESeqDataSetFromMatrix(pasilla[, keep], pmeta[keep, ], ~ type + condition)
dds <- DESeq(dds, quiet = TRUE)
write_fit(dds, results(dds, contrast = c("condition", "treated", "untreated")), "pasilla_df3")

# 2. a paired design: the first 3000 genes of the 60k synthetic set, 3 pairs, ~ pair + condition (2 df)
syn <- as.matrix(read.csv(file.path(shared, "synthetic/syn60k_12_counts.csv.gz"), row.names = 1))
syn <- syn[1:3000, c(1:3, 7:9)]
smeta <- data.frame(condition = factor(rep(c("A", "B"), each = 3)),
                    pair = factor(rep(c("p1", "p2", "p3"), 2)), row.names = colnames(syn))
dds <- DESeqDataSetFromMatrix(syn, smeta, ~ pair + condition)
dds <- DESeq(dds, quiet = TRUE)
write_fit(dds, results(dds, contrast = c("condition", "B", "A")), "paired3_df2")

# 3. likelihood-ratio test on pasilla: ~ type + condition against ~ type
dds <- DESeqDataSetFromMatrix(pasilla, pmeta, ~ type + condition)
dds <- DESeq(dds, test = "LRT", reduced = ~ type, quiet = TRUE)
write_fit(dds, results(dds, contrast = c("condition", "treated", "untreated")), "pasilla_lrt")

# 4. three levels, contrast of two non-reference levels (first 3000 synthetic genes, 4 samples each)
syn3 <- as.matrix(read.csv(file.path(shared, "synthetic/syn60k_12_counts.csv.gz"), row.names = 1))[1:3000, ]
dmeta <- data.frame(dose = factor(rep(c("none", "low", "high"), each = 4), levels = c("none", "low", "high")),
                    row.names = colnames(syn3))
dds <- DESeqDataSetFromMatrix(syn3, dmeta, ~ dose)
dds <- DESeq(dds, quiet = TRUE)
write_fit(dds, results(dds, contrast = c("dose", "high", "low")), "dose3_high_vs_low")

# 5. outlier replacement: 8 vs 8 samples, negative-binomial counts with planted outliers
set.seed(20261121)
n <- 1500
mu <- 2^runif(n, 2, 12)
lfc <- ifelse(seq_len(n) <= 150, sample(c(-1.5, 1.5), n, replace = TRUE), 0)
sf <- 2^runif(16, -0.5, 0.5)
m <- outer(mu, sf) * cbind(matrix(1, n, 8), matrix(2^lfc, n, 8))
cts <- matrix(rnbinom(n * 16, mu = m, size = 1 / (0.05 + 1 / mu)), n, 16)
hit <- cbind(sample(n, 60), sample(16, 60, replace = TRUE))
cts[hit] <- cts[hit] * 20L + 50L
dimnames(cts) <- list(sprintf("g%04d", seq_len(n)), sprintf("s%02d", 1:16))
ometa <- data.frame(condition = factor(rep(c("A", "B"), each = 8)), row.names = colnames(cts))
write.csv(cts, gzfile(file.path(out, "outliers_counts.csv.gz")))
write.csv(ometa, file.path(out, "outliers_metadata.csv"))
dds <- DESeqDataSetFromMatrix(cts, ometa, ~ condition)
dds <- DESeq(dds, quiet = TRUE)
write_fit(dds, results(dds, contrast = c("condition", "B", "A")), "outliers")
write.csv(data.frame(replace = mcols(dds)$replace, maxCooks = mcols(dds)$maxCooks, row.names = rownames(dds)),
          gzfile(file.path(out, "outliers_replace.csv.gz")))

# 6. variance-stabilising transformation of pasilla (blind, parametric trend)
dds <- DESeqDataSetFromMatrix(pasilla, pmeta, ~ type + condition)
vsd <- varianceStabilizingTransformation(dds, blind = TRUE)
write.csv(signif(as.data.frame(assay(vsd)[1:2000, ]), 10), gzfile(file.path(out, "pasilla_vst_blind.csv.gz")))

writeLines(capture.output(sessionInfo()), file.path(out, "sessionInfo.txt"))

# 7. the team's shared references (../shared/reference/rnaseq/deseq2_1.38.3), regenerated into
#    tests/data/rnaseq/deseq2/shared/ when DESEQ2_SHARED=1 (not committed: ../shared holds them)
if (Sys.getenv("DESEQ2_SHARED") == "1") {
  sdir <- file.path(out, "shared")
  dir.create(sdir, showWarnings = FALSE)
  shared_fit <- function(cts, meta, design, contrast, prefix, gz_res, gz_disp) {
    dds <- DESeq(DESeqDataSetFromMatrix(cts, meta, design), quiet = TRUE)
    res <- results(dds, contrast = contrast)
    con <- function(name, gz) if (gz) gzfile(file.path(sdir, paste0(name, ".gz"))) else file.path(sdir, name)
    write.csv(as.data.frame(res), con(paste0(prefix, "_R_res.csv"), gz_res))
    write.csv(data.frame(size_factor = sizeFactors(dds)), file.path(sdir, paste0(prefix, "_R_sf.csv")))
    write.csv(data.frame(disp = dispersions(dds), row.names = rownames(dds)), con(paste0(prefix, "_R_disp.csv"), gz_disp))
  }
  shared_fit(pasilla, pmeta, ~ type + condition, c("condition", "treated", "untreated"), "pasilla", TRUE, FALSE)
  syn_all <- as.matrix(read.csv(file.path(shared, "synthetic/syn60k_12_counts.csv.gz"), row.names = 1))
  syn_meta <- read.csv(file.path(shared, "synthetic/syn60k_12_metadata.csv"), row.names = 1, stringsAsFactors = TRUE)
  shared_fit(syn_all, syn_meta, ~ condition, c("condition", "B", "A"), "syn60k_12", TRUE, TRUE)
  pyd <- t(as.matrix(read.csv(file.path(shared, "pydeseq2_testdata/datasets/synthetic/test_counts.csv"), row.names = 1)))
  pyd_meta <- read.csv(file.path(shared, "pydeseq2_testdata/datasets/synthetic/test_metadata.csv"), row.names = 1, stringsAsFactors = TRUE)
  shared_fit(t(pyd), pyd_meta, ~ condition, c("condition", "B", "A"), "pydeseq2_synth", FALSE, FALSE)
}
