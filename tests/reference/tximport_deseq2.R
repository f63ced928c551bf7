# Regenerates tests/data/rnaseq/salmon/: six synthetic Salmon quant.sf folders, a tx2gene
# table, and R's tximport 1.26 + DESeqDataSetFromTximport + DESeq2 1.38 results on them.
#
#   Rscript tests/reference/tximport_deseq2.R
#
# Needs R with DESeq2 and tximport (Debian: r-bioc-deseq2 r-bioc-tximport).
suppressMessages({library(DESeq2); library(tximport)})
out <- "tests/data/rnaseq/salmon"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
set.seed(7)
n_genes <- 400
n_tx <- sample(1:4, n_genes, replace = TRUE)
gene <- rep(sprintf("ENSG%011d.%d", seq_len(n_genes), sample(1:9, n_genes, TRUE)), n_tx)
tx <- sprintf("ENST%011d.%d", seq_along(gene), sample(1:9, length(gene), TRUE))
len <- round(runif(length(tx), 400, 6000))
samples <- sprintf("S%d", 1:6)
condition <- factor(rep(c("parental", "resistant"), each = 3))
base <- 2^runif(length(tx), 0, 11)
usage <- matrix(1, length(tx), 6)
switch_tx <- sample(length(tx), 60)  # isoform switches: transcript length changes per group
usage[switch_tx, 4:6] <- 4
de_gene <- sample(unique(gene), 40)
fold <- ifelse(gene %in% de_gene, 3, 1)
for (j in 1:6) {
  mu <- base * usage[, j] * (if (j > 3) fold else 1) * runif(1, 0.7, 1.4)
  reads <- rnbinom(length(tx), mu = mu, size = 20)
  eff <- pmax(len - 180 + rnorm(length(tx), 0, 5), 50)
  tpm <- reads / eff; tpm <- tpm / sum(tpm) * 1e6
  dir.create(file.path(out, samples[j]), showWarnings = FALSE)
  q <- data.frame(Name = tx, Length = len, EffectiveLength = round(eff, 3),
                  TPM = signif(tpm, 7), NumReads = reads + round(runif(length(tx)), 3))
  write.table(q, file.path(out, samples[j], "quant.sf"), sep = "\t", quote = FALSE, row.names = FALSE)
}
write.csv(data.frame(transcript = tx, gene = gene), file.path(out, "tx2gene.csv"), row.names = FALSE)
write.csv(data.frame(sample = samples, condition = condition), file.path(out, "samples.csv"), row.names = FALSE)
files <- setNames(file.path(out, samples, "quant.sf"), samples)
txi <- tximport(files, type = "salmon", tx2gene = data.frame(tx, gene))
dds <- DESeqDataSetFromTximport(txi, data.frame(condition = condition, row.names = samples), ~ condition)
dds <- DESeq(dds, quiet = TRUE)
res <- results(dds, contrast = c("condition", "resistant", "parental"))
keep <- function(df) { num <- vapply(df, is.numeric, TRUE); df[num] <- lapply(df[num], signif, 10); df }
write.csv(keep(as.data.frame(res)), file.path(out, "R_res.csv"))
write.csv(keep(as.data.frame(normalizationFactors(dds))), file.path(out, "R_normalization_factors.csv"))
write.csv(keep(as.data.frame(txi$length)), file.path(out, "R_tximport_length.csv"))
