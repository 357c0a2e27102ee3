using System;
using System.CommandLine;
using System.Text.Json;
using CrossModal.Models.Captioning;
using CrossModal.Training.Captioning;

namespace CrossModal.Cli.Commands;

/// <summary><c>crossmodal caption</c>: one caption per image embedding from a trained captioner.</summary>
internal static class CaptionCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A model written by train-captioner.", Required = true };
        var images = new Option<string>("--image-embeddings") { Description = "(rows, D) float32 .npy of image embeddings.", Required = true };
        var beam = new Option<int>("--beam") { Description = "Beam width (1: greedy).", DefaultValueFactory = _ => 1 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per caption (0: as many as the model's context allows, at most 30)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array of strings on stdout." };
        var device = DeviceOption.Create();
        var command = new Command("caption", "Caption images given as embeddings (the model's bridge is applied first).") { model, images, beam, maxTokens, json, device };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            if (!System.IO.File.Exists(path))
            {
                throw new CommandLineError($"--model: the file '{path}' does not exist.");
            }

            var width = parse.GetValue(beam);
            if (width < 1)
            {
                throw new CommandLineError($"--beam: expected 1 or more, got {width}.");
            }

            using var backend = DeviceOption.CreateBackend(parse, device);
            var checkpoint = CaptionerCheckpoint.Load(path, backend);
            var embeddings = CaptionerInputs.ReadEmbeddings(parse.GetValue(images)!, "--image-embeddings");
            if (embeddings.Dimension != checkpoint.Model.EmbeddingDimension)
            {
                throw new CommandLineError($"--image-embeddings: dimension {embeddings.Dimension}, but the model expects {checkpoint.Model.EmbeddingDimension}.");
            }

            var limit = parse.GetValue(maxTokens);
            var decoding = new DecodingOptions
            {
                Strategy = width > 1 ? DecodingStrategy.Beam : DecodingStrategy.Greedy,
                BeamWidth = width,
                MaxTokens = limit > 0 ? Math.Min(limit, checkpoint.Model.MaxCaptionTokens) : Math.Min(30, checkpoint.Model.MaxCaptionTokens),
            };
            var captions = checkpoint.ToCaptioner(decoding).Caption(embeddings);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(captions));
            }
            else
            {
                foreach (var caption in captions)
                {
                    Console.Out.WriteLine(caption);
                }
            }

            return 0;
        });
        return command;
    }
}
